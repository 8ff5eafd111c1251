import { describe, expect, it } from 'vitest';
import { keyedFrameQueue } from './frames';

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r(undefined)));

describe('keyedFrameQueue', () => {
  it('applies a burst once, newest item per key', async () => {
    const applied: string[][] = [];
    const q = keyedFrameQueue<{ id: string; s: string }>((v) => v.id, (vs) => applied.push(vs.map((v) => `${v.id}:${v.s}`)));
    q.push([{ id: 'a', s: 'checking' }, { id: 'b', s: 'checking' }]);
    q.push([{ id: 'a', s: 'connected' }]);
    q.push([{ id: 'c', s: 'checking' }]);
    q.drop(['c']);
    expect(applied).toEqual([]);
    await nextFrame();
    expect(applied).toEqual([['b:checking', 'a:connected']]);
    await nextFrame();
    expect(applied.length).toBe(1);
  });
});
