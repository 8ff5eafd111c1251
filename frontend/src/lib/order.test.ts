import { afterEach, describe, expect, it } from 'vitest';
import { filterSort } from './list';
import { sample } from './fakeBackend';
import { setLanguage } from './i18n.svelte';
import type { Status } from './types';
// The cases Go's integration.SortByAttention is tested against too: the
// window lists integrations in the order the tray and the CLI do.
import fixture from '../../../backend/integration/testdata/order.json';

afterEach(() => setLanguage('en'));

describe('list order agrees with Go (backend/integration/testdata/order.json)', () => {
  it('has cases', () => expect(fixture.cases.length).toBeGreaterThan(0));

  it("gives the fake backend's samples Go's severities", () => {
    for (const it of fixture.cases.flatMap((c) => c.items)) {
      expect([it.status, sample('x', 'x', 'x', 'X', it.status as Status).severity]).toEqual([it.status, it.severity]);
    }
  });

  it.each(fixture.cases)('$name', ({ lang, items, want }) => {
    setLanguage(lang);
    // The severity and the name key are what Go sends, not what the page
    // derives (order_test.go holds the keys to Go's).
    const views = items.map((it, i) => ({ ...sample(`id-${i}`, it.name, 'x', 'X', it.status as Status), severity: it.severity, nameKey: it.nameKey }));
    expect(filterSort(views, { search: '', status: '' }).map((v) => v.name)).toEqual(want);
  });
});
