// @ts-check
/**
 * live-asgi-docs page loader: starts the live apps embedded in a docs page.
 *
 * Each `.live-asgi` element carries its settings as JSON in
 * `data-live-asgi`. For each one the page registers the app's service worker
 * (scope `app/<name>/`), starts a Web Worker that runs the app, and shows the
 * app in an iframe at `app/<name>/~<instance>/<path>`: the instance segment
 * tells the service worker which page's worker answers, so two tabs never mix.
 *
 * Nothing is downloaded for an embed before it starts: when it scrolls into
 * view (`autostart: visible`), when the reader clicks "Run the app"
 * (`click`) or with the page (`load`).
 *
 * Exports `startAll(root)` (set up every embed in an element) and
 * `teardown(el)` (stop one embed and free its runtime), for themes that swap
 * page content without a reload.
 *
 * The work is split by job: lifecycle.js (an embed's life), state.js (its
 * states), toolbar.js (its DOM), registration.js (the service worker),
 * appworker.js (the app's worker), reconnect.js (ports for a restarted
 * service worker), autoheight.js (`:height: auto`).
 */

import { startAll, stopDetached, teardown } from "./lifecycle.js";

export { startAll, stopDetached, teardown };

// Pages that swap their content without a reload (Material for MkDocs'
// instant navigation) show new embeds and drop old ones in the same
// document: `document$` emits after every swap (and replays the current page
// to a new subscriber), so stop the apps that left and start the new ones.
const document$ = /** @type {{document$?: {subscribe: (f: () => void) => unknown}}} */ (
  /** @type {unknown} */ (window)
).document$;
if (document$ && typeof document$.subscribe === "function") {
  document$.subscribe(() => {
    stopDetached();
    startAll();
  });
} else {
  startAll();
}
