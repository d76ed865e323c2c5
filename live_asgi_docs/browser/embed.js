// @ts-check
/**
 * Pure helpers of the page loader, unit-tested with `node --test`.
 */

/**
 * A fresh id for one app instance: short, URL-safe, unguessable enough that
 * two tabs never share one.
 * @returns {string}
 */
export function instanceId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The iframe URL of an app page: `<scope>~<instance><path>`.
 * @param {string} scope The app's service worker scope, ending in `/`.
 * @param {string} instance
 * @param {string} path The app path, starting with `/`.
 * @returns {string}
 */
export function appUrl(scope, instance, path) {
  const rest = path.startsWith("/") ? path : `/${path}`;
  return `${scope}~${instance}${rest}`;
}

/**
 * Why live apps cannot run in this window, in words for the reader, or "".
 * @param {{location: {protocol: string, hostname: string}, isSecureContext: boolean, navigator: {serviceWorker?: unknown}}} win
 * @returns {string}
 */
export function failureText(win) {
  if (win.location.protocol === "file:") {
    return (
      "Live apps cannot run from a file:// page: browsers allow service workers only on " +
      "web servers. Serve the built docs, e.g. with `python -m http.server`, and open them " +
      "from http://localhost."
    );
  }
  if (!win.isSecureContext) {
    return (
      `Live apps need a secure page (https:// or http://localhost); this page is served over ` +
      `plain http from ${win.location.hostname}, where browsers disable service workers.`
    );
  }
  if (!win.navigator.serviceWorker) {
    return (
      "Live apps need service workers, which this browser window does not offer (a private " +
      "window of some browsers, or a browser setting). Open the page in a normal window."
    );
  }
  return "";
}
