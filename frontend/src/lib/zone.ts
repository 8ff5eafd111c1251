// Local wall-clock time from Go's zone offsets (App.TimeZone), not from
// JavaScript's local-time methods: those make WebKit's web process load
// ICU's time zone data, 1.3 MiB of a window with any integration listed
// (bench/scale).
import type { Zone } from './types';

let offsets: Zone['offsets'] = [];

/** setZone sets the zone times are rendered in; without offsets, the runtime's own local time is used. */
export function setZone(z: Zone | undefined) {
  offsets = z?.offsets ?? [];
}

export interface WallClock {
  year: number;
  month: number; // 0-11, as Date's
  day: number;
  hours: number;
  minutes: number;
}

/** wallClock is the local date and time of an instant (Unix milliseconds). */
export function wallClock(ms: number): WallClock {
  if (!offsets.length) {
    const d = new Date(ms);
    return { year: d.getFullYear(), month: d.getMonth(), day: d.getDate(), hours: d.getHours(), minutes: d.getMinutes() };
  }
  const d = new Date(ms + offsetAt(ms) * 1000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate(), hours: d.getUTCHours(), minutes: d.getUTCMinutes() };
}

// offsetAt is the offset in effect at ms: the last that starts at or
// before it, or the first for anything earlier.
function offsetAt(ms: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid].from <= ms) lo = mid;
    else hi = mid - 1;
  }
  return offsets[lo].seconds;
}
