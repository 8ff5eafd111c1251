import { afterEach, describe, expect, it } from 'vitest';
import { formatDate, setLanguage } from './i18n.svelte';
import { setZone, wallClock } from './zone';
// Zones as Go's i18n.LocalZone gives them, and instants with their wall
// clock there as Go's time package renders it (zone_test.go writes it).
import fixture from '../../../backend/i18n/testdata/zones.json';

afterEach(() => {
  setZone(undefined);
  setLanguage('en');
});

const pad = (n: number) => String(n).padStart(2, '0');

describe("local times from Go's zone offsets (backend/i18n/testdata/zones.json)", () => {
  it('has cases across DST changes', () => {
    expect(fixture.cases.length).toBeGreaterThan(3);
    expect(Math.max(...fixture.cases.map((c) => c.zone.offsets.length))).toBeGreaterThan(10);
  });

  it.each(fixture.cases)('$zone.name', ({ zone, instants }) => {
    setZone(zone);
    for (const { instant, local } of instants) {
      const w = wallClock(new Date(instant).getTime());
      expect(`${instant} → ${w.year}-${pad(w.month + 1)}-${pad(w.day)} ${pad(w.hours)}:${pad(w.minutes)}`).toBe(`${instant} → ${local}`);
    }
  });

  it('renders dates in the zone', () => {
    setZone(fixture.cases.find((c) => c.zone.name === 'America/New_York')!.zone);
    // 2026-11-30 23:59 UTC is 18:59 in New York (EST, UTC-5).
    expect(formatDate('2026-11-30T23:59:00Z')).toBe('Nov 30, 2026, 6:59 PM');
    setLanguage('es');
    expect(formatDate('2026-11-30T23:59:00Z')).toBe('30 nov 2026, 18:59');
  });

  it("falls back to the runtime's local time without offsets", () => {
    setZone({ name: '', offsets: [] });
    const d = new Date(2026, 6, 4, 13, 5);
    expect(wallClock(d.getTime())).toEqual({ year: 2026, month: 6, day: 4, hours: 13, minutes: 5 });
  });
});
