import { describe, expect, it } from 'vitest';
import { visibleRows } from './virtual';

const tens = (n: number) => new Array(n).fill(10);
const idx = (r: { rows: { index: number }[] }) => r.rows.map((s) => s.index);

describe('visibleRows', () => {
  it.each([
    ['the top of the list', 0, [0, 1, 2, 3, 4]],
    ['the middle', 500, [49, 50, 51, 52, 53, 54]],
    ['a list that starts below the view', -25, [0, 1, 2]],
    ['a list scrolled past', 2000, [99]],
    ['the end', 970, [96, 97, 98, 99]],
  ])('renders what is in view at %s, plus one either side', (_, top, want) => {
    expect(idx(visibleRows(tens(100), top as number, 40, 1))).toEqual(want);
  });

  it('keeps the whole height with spacers', () => {
    const got = visibleRows(tens(100), 500, 40, 1);
    expect(got.rows[0].gap).toBe(490);
    expect(got.rows.slice(1).every((s) => s.gap === 0)).toBe(true);
    expect(got.after).toBe(450);
  });

  it('measures with the real heights', () => {
    // 0-9: 100 px each, then 10 px each.
    const hs = [...new Array(10).fill(100), ...tens(100)];
    expect(idx(visibleRows(hs, 1000, 30, 0))).toEqual([10, 11, 12]);
  });

  it.each([
    ['above', 3, [3, 49, 50, 51, 52, 53, 54], [30, 450]],
    ['below', 90, [49, 50, 51, 52, 53, 54, 90], [490, 0, 0, 0, 0, 0, 350]],
    ['inside', 50, [49, 50, 51, 52, 53, 54], [490]],
  ])('keeps the focused row rendered when it is %s the view', (_, keep, want, gaps) => {
    const got = visibleRows(tens(100), 500, 40, 1, keep as number);
    expect(idx(got)).toEqual(want);
    expect(got.rows.map((s) => s.gap).slice(0, (gaps as number[]).length)).toEqual(gaps);
    const total = got.rows.reduce((h, s) => h + s.gap + 10, 0) + got.after;
    expect(total).toBe(1000);
  });
});
