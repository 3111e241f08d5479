// The page's first (tiny) script. It starts the Python worker at once, before boot.js and the UI's module graph
// have loaded, so the runtime's download and boot overlap them; and when the address is a share link, it asks the
// worker for the case in the same breath, so the manifest and the first slice are on the wire while the runtime
// still loads (the worker holds their bytes until Python is up). boot.js imports the same client and the started
// case (one module instance per URL).

import { WorkerClient } from "./rpc.js";
import { focusOf, parseLink } from "./cloud/link.js";

export const client = new WorkerClient(new URL("./worker.js", import.meta.url));

function caseOfAddress() {
  try {
    const { spec, view } = parseLink(location.href);
    if (!spec) return null;
    return { spec, view, summary: client.call("openCase", { spec, focus: focusOf(view), options: null }) };
  } catch {
    return null; // not a link this page can open: the UI explains it once loaded
  }
}

/** {spec, view, summary: Promise} of the case the address names, already requested; or null. */
export const startedCase = caseOfAddress();
