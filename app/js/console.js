// The Python console panel (issue 13): a prompt that runs what the user types in the viewer's own Python, against
// what is loaded (app/py/venos/console.py says what it offers). It runs only code typed here or handed to
// venos.console.run() by the embedding page: nothing from a URL, a manifest, a file or a share link reaches it.
// Output and tracebacks are shown as text.

import { el, makeDialog } from "./cloud/dom.js";

const HELP = "Runs in the viewer's Python against what is loaded: series(), view, ds(), pixels() (the image shown, " +
  "in modality units), volume(), show(array, name) (a new series), measure(name, points), np, pydicom. " +
  "Enter runs, Shift+Enter starts a new line, ↑ ↓ go through the history. Code past its time budget is stopped; " +
  "the study stays loaded.";

/** `client`: the worker; `state()`: the active viewport's view state; `added(ids)`: series show() added. */
export function installConsole({ client, state, added, button }) {
  const dlg = makeDialog("console-dialog", "Python console");
  const out = el("pre", { id: "console-output", class: "console-output", tabIndex: 0, role: "log", "aria-label": "Console output" });
  const input = el("textarea", { id: "console-input", rows: 3, spellcheck: false, autocomplete: "off",
    "aria-label": "Python code", placeholder: "pixels().mean()" });
  const run = el("button", { class: "btn primary", type: "button", id: "console-run", text: "Run" });
  const budget = el("input", { type: "number", id: "console-budget", min: 1, max: 600, value: 10, "aria-label": "Time budget in seconds" });
  dlg.body.append(el("p", { class: "muted", text: HELP }), out, input,
    el("div", { class: "row" }, run, el("label", {}, "Stop after ", budget, " s")));
  const history = [];
  let at = 0;

  const print = (text, cls) => {
    out.append(el("span", { class: cls || "", text }));
    out.scrollTop = out.scrollHeight;
  };

  async function execute(code, { timeoutMs = 10_000 } = {}) {
    const res = await client.call("console", { code: String(code), state: state(), timeoutMs });
    if (res.added && res.added.length) await added(res.added);
    return res;
  }

  async function submit() {
    const code = input.value;
    if (!code.trim()) return;
    history.push(code);
    at = history.length;
    input.value = "";
    print(code.split("\n").map((l, i) => `${i ? "... " : ">>> "}${l}`).join("\n") + "\n", "console-in");
    run.disabled = true;
    try {
      const res = await execute(code, { timeoutMs: Math.max(1, Number(budget.value) || 10) * 1000 });
      if (res.output) print(res.output);
      if (res.error) print(res.error, "console-error");
    } catch (e) {
      print(`${e.message || e}\n`, "console-error");
    } finally {
      run.disabled = false;
      input.focus();
    }
  }

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); return; }
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length;
    if (e.key === "ArrowUp" && atStart && at > 0) { e.preventDefault(); input.value = history[--at]; }
    else if (e.key === "ArrowDown" && atEnd && at < history.length) {
      e.preventDefault();
      at++;
      input.value = at < history.length ? history[at] : "";
    }
  });
  run.addEventListener("click", submit);
  const open = () => { if (!dlg.dialog.open) dlg.dialog.showModal(); input.focus(); };
  button.addEventListener("click", open);
  return { open, run: execute, dialog: dlg.dialog };
}
