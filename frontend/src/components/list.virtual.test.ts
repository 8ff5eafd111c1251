import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import IntegrationList from './IntegrationList.svelte';
import { sample } from '../lib/fakeBackend';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const many = (n: number) => Array.from({ length: n }, (_, i) => sample(`int-${i + 1}`, `int-${i + 1}`, 'x', 'X', 'connected'));
const noop = () => {};
const rows = () => screen.queryAllByTestId('integration-row');
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r(undefined)));

// jsdom has no layout: the list starts at the top of a 768 px window and
// rows count as the estimate.
describe('IntegrationList with many integrations', () => {
  it('renders only the rows in view, and says how many there are', () => {
    render(IntegrationList, { items: many(1000), onreauth: noop, ondetails: noop });
    const n = rows().length;
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThan(40);
    const table = screen.getByRole('table');
    expect(table.getAttribute('aria-rowcount')).toBe('1001');
    expect(rows()[0].getAttribute('aria-rowindex')).toBe('2');
    expect(rows()[0].dataset.id).toBe('int-1');
  });

  it('follows the scroll and keeps the focused row', async () => {
    render(IntegrationList, { items: many(1000), onreauth: noop, ondetails: noop });
    const first = rows()[0];
    first.querySelector('button')!.focus();
    const group = screen.getByRole('rowgroup');
    vi.spyOn(group, 'getBoundingClientRect').mockReturnValue(DOMRect.fromRect({ x: 0, y: -62 * 500, width: 800, height: 62 * 1000 }));
    window.dispatchEvent(new Event('scroll'));
    await nextFrame();
    await waitFor(() => expect(rows().some((r) => r.dataset.id === 'int-501')).toBe(true));
    expect(rows().length).toBeLessThan(40);
    expect(rows()[0].dataset.id).toBe('int-1');
    expect(document.activeElement).toBe(first.querySelector('button'));
    expect(rows()[1].getAttribute('aria-rowindex')).toBe(String(Number(rows()[1].dataset.id!.slice(4)) + 1));
  });
});
