// The window's scroll position and size as reactive values, from one
// listener shared by every reader and read at most once per frame.
import { createSubscriber } from 'svelte/reactivity';

const subscribe = createSubscriber((update) => {
  let frame = 0;
  const changed = () => {
    if (!frame) frame = requestAnimationFrame(() => ((frame = 0), update()));
  };
  addEventListener('scroll', changed, { passive: true });
  addEventListener('resize', changed);
  return () => {
    removeEventListener('scroll', changed);
    removeEventListener('resize', changed);
    cancelAnimationFrame(frame);
  };
});

/** viewportHeight is the window's height; reading it re-runs the reader when the page scrolls or resizes. */
export function viewportHeight(): number {
  subscribe();
  return innerHeight;
}
