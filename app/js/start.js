// Starts the Python worker the moment the page's first (tiny) script runs, instead of after boot.js and the
// whole UI module graph have loaded and run: the runtime's boot, which takes seconds, overlaps them.
// boot.js imports the same client (one module instance per URL).

import { WorkerClient } from "./rpc.js";

export const client = new WorkerClient(new URL("./worker.js", import.meta.url));
