// Work applied once per painted frame, however many times it was asked for.

/**
 * keyedFrameQueue gathers items by key (a newer item replaces an older one
 * with the same key) and hands them to apply once, before the next frame is
 * painted. A sweep reporting hundreds of changes in a burst becomes one
 * update of the page instead of hundreds.
 */
export function keyedFrameQueue<T>(key: (item: T) => string, apply: (items: T[]) => void) {
  let pending = new Map<string, T>();
  let frame = 0;
  const run = () => {
    frame = 0;
    const items = [...pending.values()];
    pending = new Map();
    if (items.length) apply(items);
  };
  return {
    push(items: T[]) {
      for (const it of items) {
        const k = key(it);
        // Re-inserting keeps the batch in arrival order of the newest item.
        pending.delete(k);
        pending.set(k, it);
      }
      if (!frame) frame = requestAnimationFrame(run);
    },
    /** drop forgets queued items that something newer has already replaced. */
    drop(keys: Iterable<string>) {
      for (const k of keys) pending.delete(k);
    },
  };
}
