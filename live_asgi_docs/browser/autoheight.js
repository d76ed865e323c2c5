// @ts-check
/**
 * `:height: auto`: the frame follows the height of the app page's content.
 */

/** The frame never shrinks below this, whatever the page says. */
const MIN_HEIGHT_PX = 120;

/**
 * Make a frame follow its page's content; returns the observer to disconnect
 * when the page goes, or null for a page without a body.
 * @param {HTMLIFrameElement} frame
 * @param {Window} win the frame's window
 * @returns {ResizeObserver | null}
 */
export function followHeight(frame, win) {
  const doc = win.document;
  if (!doc.body) return null;
  const fit = () => {
    const body = doc.body;
    const style = win.getComputedStyle(body);
    // The body's own height, not the viewport's: the frame can shrink again.
    const height =
      Math.max(body.scrollHeight, body.getBoundingClientRect().height) +
      parseFloat(style.marginTop) +
      parseFloat(style.marginBottom);
    frame.style.height = `${Math.max(MIN_HEIGHT_PX, Math.ceil(height))}px`;
  };
  // The frame's own ResizeObserver sees its layout.
  const Observer = /** @type {typeof ResizeObserver} */ (/** @type {any} */ (win).ResizeObserver);
  const observer = new Observer(fit);
  observer.observe(doc.body);
  fit();
  return observer;
}
