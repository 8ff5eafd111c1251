// Paint timings for `make bench`: the page sends them to Go, which writes
// them down only when started with RELINK_BENCH_MARKS (bench/scale).

const event = 'bench:mark';

type Emit = { EventsEmit?: (name: string, ...data: unknown[]) => void };

function send(name: string, value: number) {
  (window.runtime as Emit | undefined)?.EventsEmit?.(event, name, value);
}

// A timer set inside an animation frame fires after that frame is painted.
function afterPaint(f: () => void) {
  requestAnimationFrame(() => setTimeout(f, 0));
}

let painted = false;

/** listPainted records, once per page load, the time (ms since the epoch) the list was first on screen. */
export function listPainted() {
  if (painted) return;
  painted = true;
  afterPaint(() => send('list', performance.timeOrigin + performance.now()));
}

/** filterPainted records how long after an input event (its timeStamp) the filtered list was on screen. */
export function filterPainted(since: number) {
  afterPaint(() => send('filter', performance.now() - since));
}
