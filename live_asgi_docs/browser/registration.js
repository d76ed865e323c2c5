// @ts-check
/**
 * The app's service worker: registered for the app's scope before anything
 * downloads, so that a browser refusing it is known at once.
 */

/**
 * Wait until a registration has an active worker.
 * @param {ServiceWorkerRegistration} reg
 * @returns {Promise<ServiceWorker>}
 */
async function activated(reg) {
  if (reg.active) return reg.active;
  const sw = reg.installing || reg.waiting;
  if (!sw) throw new Error("the service worker registration has no worker");
  await new Promise((resolve, reject) => {
    sw.addEventListener("statechange", () => {
      if (sw.state === "activated") resolve(undefined);
      if (sw.state === "redundant") reject(new Error("the service worker failed to install"));
    });
  });
  return /** @type {ServiceWorker} */ (/** @type {unknown} */ (reg.active));
}

/**
 * Register the service worker of an app. Resolves once the browser accepted
 * the registration (it has fetched the script; its installation then runs
 * while the runtime boots), with a promise of the active worker; rejects when
 * the browser refuses.
 * @param {string} script URL of the service worker script
 * @param {string} scope the app's scope
 * @returns {Promise<{active: Promise<ServiceWorker>}>}
 */
export async function registerServiceWorker(script, scope) {
  // A module: it imports protocol.js from the code folder.
  const reg = await navigator.serviceWorker.register(script, { scope, updateViaCache: "none", type: "module" });
  // A browser that blocks service workers may resolve with no registration.
  if (!reg) throw new Error("the browser gave no registration");
  const active = activated(reg);
  active.catch(() => {});
  return { active };
}

/**
 * What the reader is told when the browser did not start the service worker.
 * @param {unknown} err
 */
export function noServiceWorker(err) {
  return (
    "Live apps need a service worker, and this browser did not start one " +
    `(${err instanceof Error ? err.message : err}). Service workers are off in some private ` +
    "windows and by some browser settings; open the page in a normal window."
  );
}
