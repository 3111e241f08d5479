// Where the Python runtime comes from. A built site (dist/) carries runtime.json next to index.html and
// vendors everything; the repository served as-is has no runtime.json and takes Pyodide from its official CDN,
// pydicom through micropip and the venos sources listed in app/py/venos/MANIFEST.

export const PYODIDE_VERSION = "0.27.7";
export const PYDICOM_VERSION = "3.0.2";
export const CDN_INDEX_URL = `https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`;

/**
 * Decide the runtime source from the response to `runtime.json` (or null when it could not be fetched).
 * Pure function of its inputs so the choice can be tested.
 * @param {object|null} runtimeJson parsed runtime.json, or null when absent
 * @param {string} base URL of the page's folder (ends with "/")
 */
export function chooseRuntime(runtimeJson, base) {
  if (runtimeJson && runtimeJson.source === "local") {
    return {
      source: "local",
      indexURL: new URL(runtimeJson.pyodide.indexURL, base).href,
      packages: runtimeJson.packages || [],
      wheels: (runtimeJson.wheels || []).map((w) => ({ ...w, url: new URL(w.url, base).href })),
      lazyPackages: runtimeJson.lazyPackages || [],
      site: { url: new URL(runtimeJson.site.url, base).href, sha256: runtimeJson.site.sha256 },
      codecs: runtimeJson.codecs || [],
      codecBase: new URL("codecs/", base).href,
    };
  }
  return {
    source: "cdn",
    indexURL: CDN_INDEX_URL,
    packages: ["numpy", "micropip"],
    wheels: [],
    lazyPackages: ["pillow"],
    pip: [`pydicom==${PYDICOM_VERSION}`],
    sources: { manifest: new URL("app/py/venos/MANIFEST", base).href, base: new URL("app/py/venos/", base).href },
    codecs: [],
    codecBase: null,
  };
}

/** Fetch runtime.json beside the page; null when there is none (the repository served without a build). */
export async function fetchRuntimeJson(base) {
  try {
    const r = await fetch(new URL("runtime.json", base), { cache: "no-cache" });
    if (!r.ok) return null;
    return await r.json();
  } catch {
    return null;
  }
}
