// Which rows of a long list to render: the ones in view, a few either side,
// and the one holding focus, with spacers standing in for the rest so the
// scrollbar and the page height stay those of the whole list.

export interface Slice {
  index: number;
  /** gap is the height of the rows left out just before this one. */
  gap: number;
}

/**
 * visibleRows picks rows to render. heights are the rows' heights (measured
 * or estimated); top is where the view starts, measured from the list's top
 * (negative while the list starts below it), height is the view's height;
 * overscan rows are added on each side so Tab and arrow keys always find a
 * rendered neighbour; keep (-1 for none) is rendered wherever it is.
 * after is the height of the rows left out after the last one.
 */
export function visibleRows(heights: number[], top: number, height: number, overscan: number, keep = -1): { rows: Slice[]; after: number } {
  const n = heights.length;
  const offsets = new Array<number>(n + 1);
  offsets[0] = 0;
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + heights[i];
  let start = 0;
  while (start < n && offsets[start + 1] <= top) start++;
  let end = start;
  while (end < n && offsets[end] < top + height) end++;
  start = Math.max(0, start - overscan);
  end = Math.min(n, end + overscan);
  const shown: number[] = [];
  if (keep >= 0 && keep < start) shown.push(keep);
  for (let i = start; i < end; i++) shown.push(i);
  if (keep >= end && keep < n) shown.push(keep);
  let at = 0;
  const rows = shown.map((index) => {
    const s = { index, gap: offsets[index] - at };
    at = offsets[index + 1];
    return s;
  });
  return { rows, after: offsets[n] - at };
}
