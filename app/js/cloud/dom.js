// Small DOM helpers for the cloud dialogs. Text goes in with textContent only.

export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

/** A modal <dialog> with a title and a close button; returns {dialog, body}. */
export function makeDialog(id, title) {
  const body = el("div", { class: "cloud-body" });
  const close = el("button", { class: "btn", type: "button", text: "Close", onclick: () => dialog.close() });
  const dialog = el("dialog", { id, class: "cloud-dialog" },
    el("div", { class: "cloud-head" }, el("h2", { text: title }), close), body);
  document.body.append(dialog);
  return { dialog, body };
}

/** Offer `blob` as a download named `name` (the browser's save, no page change). */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
