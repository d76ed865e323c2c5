// @ts-check
/**
 * The app instances of this page, and the answer to a service worker that
 * lost its ports (the browser stopped it): it asks the open pages which one
 * runs an instance; the owner answers with a fresh port to the instance's
 * worker, the others say no, so that an unowned instance is known at once.
 */

import { MSG, sendToServiceWorker, sendToWorker } from "./protocol.js";

/** Every app instance of this page, by instance id. */
/** @type {Map<string, {worker: Worker, scope: string}>} */
const instances = new Map();

/**
 * Record an instance this page runs.
 * @param {string} id
 * @param {Worker} worker
 * @param {string} scope the app's scope
 */
export function own(id, worker, scope) {
  instances.set(id, { worker, scope });
}

/** @param {string} id */
export function disown(id) {
  instances.delete(id);
}

/**
 * Hand a service worker a port to an instance's worker.
 * @param {Worker} worker
 * @param {ServiceWorker | MessagePort} target the service worker, or the port it asked on
 * @param {string} [instance] the instance, when the service worker did not ask
 */
export function offerPort(worker, target, instance) {
  const channel = new MessageChannel();
  sendToWorker(worker, { type: MSG.port }, [channel.port1]);
  sendToServiceWorker(target, instance ? { type: MSG.portOffer, instance } : { type: MSG.portOffer }, [
    channel.port2,
  ]);
}

if (typeof navigator !== "undefined" && "serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    /** @type {import("./protocol.js").ConnectMessage} */
    const msg = event.data;
    if (!msg || msg.type !== MSG.connect || !event.ports[0]) return;
    const instance = instances.get(msg.instance);
    if (!instance || instance.scope !== msg.scope) {
      sendToServiceWorker(event.ports[0], { type: MSG.unknown });
      return;
    }
    offerPort(instance.worker, event.ports[0]);
  });
}
