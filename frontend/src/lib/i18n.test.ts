import { afterEach, describe, expect, it } from 'vitest';
import { catalogues, formatDate, formatNumber, languageName, languages, match, plural, problem, providerName, relative, setLanguage, t } from './i18n.svelte';
import { CAUSES, STATUS_ORDER } from './types';

afterEach(() => setLanguage('en'));

const params = (s: string) => (s.match(/\{[a-zA-Z_]+\}/g) ?? []).sort().join(',');

describe('message catalogues', () => {
  it('has every key, with the same {params}, in every language', () => {
    expect(languages).toEqual(expect.arrayContaining(['en', 'es']));
    const problems: string[] = [];
    for (const a of languages) {
      for (const b of languages) {
        for (const k of Object.keys(catalogues[a])) {
          if (!(k in catalogues[b])) problems.push(`${b} lacks ${k} (present in ${a})`);
          else if (params(catalogues[b][k]) !== params(catalogues[a][k])) {
            problems.push(`${b}:${k} params ${params(catalogues[b][k])}; ${a} has ${params(catalogues[a][k])}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no empty message', () => {
    const empty = languages.flatMap((l) => Object.entries(catalogues[l]).filter(([, v]) => !v.trim()).map(([k]) => `${l}:${k}`));
    expect(empty).toEqual([]);
  });

  it('names each language in that language', () => {
    expect(languages.map(languageName)).toEqual(expect.arrayContaining(['English', 'Español']));
  });
});

describe('t and friends', () => {
  it.each([
    ['es-ES', 'es'],
    ['es_MX.UTF-8', 'es'],
    ['ES', 'es'],
    ['en-GB', 'en'],
    ['fr-FR', 'en'],
    ['', 'en'],
    [undefined, 'en'],
  ])('match(%s) = %s', (locale, want) => {
    expect(match(locale)).toBe(want);
  });

  it('renders Spanish relative times and plurals', () => {
    setLanguage('es');
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(relative('2026-11-28T09:57:00Z', now)).toBe('hace 3 min');
    expect(relative('2026-12-03T10:00:00Z', now)).toBe('dentro de 5 días');
    expect(plural('summary.needs_reauth', 2)).toBe('2 requieren nueva autorización');
    expect(plural('summary.needs_reauth', 1)).toBe('1 requiere nueva autorización');
    expect(t('status.connected')).toBe('Conectada');
  });

  it('renders English relative times and plurals', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(relative('2026-11-28T09:57:00Z', now)).toBe('3 min. ago');
    expect(relative('2026-12-03T10:00:00Z', now)).toBe('in 5 days');
    expect(relative('2026-11-28T10:00:00Z', now)).toBe('now');
    expect(plural('summary.needs_reauth', 2)).toBe('2 need reauthorization');
    expect(plural('summary.connected', 1234)).toBe('1,234 healthy');
  });

  it('names a provider in the user’s language, a brand as it is', () => {
    setLanguage('es');
    expect(providerName('custom-api-key', 'Custom API key')).toBe('Clave de API personalizada');
    expect(providerName('stripe', 'Stripe')).toBe('Stripe');
    expect(providerName('from-a-newer-catalogue', 'Newer')).toBe('Newer');
  });

  it('falls back to English, then to the key', () => {
    setLanguage('xx');
    expect(t('status.connected')).toBe('Connected');
    expect(t('no.such.key')).toBe('no.such.key');
  });

  it.each([
    [{ code: 'error.field_required', params: { field: 'api_key' } }, 'API key is required.'],
    [{ code: 'error.field_invalid', params: { field: 'shop', reason: 'pattern' } }, 'Shop subdomain does not have the expected format.'],
    [{ code: 'error.field_invalid', params: { field: 'shop', reason: 'no_such_reason' } }, 'Shop subdomain is not valid.'],
    [{ code: 'problem.issuer_metadata', params: { status: '404' } }, 'The issuer answered 404 for its metadata. Check the issuer URL in this integration’s settings.'],
    [{ code: 'problem.api_key_rejected' }, 'The provider rejected the API key: it was rotated, revoked or has expired. Enter a new key.'],
    [{ code: 'error.from_the_future' }, 'Something went wrong inside Relink. The details are kept for a bug report (Report a problem, or “relink diagnostics”).'],
    [{ code: 'error.internal', params: { detail: 'sql: database is closed' } }, 'Something went wrong inside Relink. The details are kept for a bug report (Report a problem, or “relink diagnostics”).'],
  ])('problem(%j)', (p, want) => {
    expect(problem(p)).toBe(want);
  });
});

// The page renders numbers, dates and relative times from the catalogue
// instead of Intl (which loads ICU's data into the web process): these
// hold every form to what Intl renders with CLDR's data for that language.
describe('formats match Intl', () => {
  const now = Date.parse('2026-11-28T10:00:00Z');
  const offsets = [0, 0.4, 1, 2, 45, 59, 60, 89, 90, 3599, 3600, 5400, 86399, 86400, 2 * 86400, 3 * 86400, 6 * 86400, 7 * 86400, 13 * 86400, 14 * 86400, 29 * 86400, 30 * 86400, 60 * 86400, 364 * 86400, 365 * 86400, 800 * 86400];
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 86400],
    ['month', 30 * 86400],
    ['week', 7 * 86400],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  // What the window rendered with Intl before: short units up to hours, long ones from days on.
  function intlRelative(lang: string, secs: number): string {
    const [unit, size] = units.find(([, size]) => Math.abs(secs) >= size) ?? units[units.length - 1];
    const style = size >= 86400 ? 'long' : 'short';
    return new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style }).format(Math.round(secs / size), unit);
  }

  it.each(['en', 'es'])('relative times in %s', (lang) => {
    setLanguage(lang);
    for (const off of offsets) {
      for (const secs of [off, -off]) {
        const at = new Date(now + secs * 1000).toISOString();
        expect(`${secs}: ${relative(at, now)}`).toBe(`${secs}: ${intlRelative(lang, Math.round(secs))}`);
      }
    }
  });

  it.each(['en', 'es'])('dates in %s', (lang) => {
    setLanguage(lang);
    const f = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    for (let m = 0; m < 12; m++) {
      for (const [h, min] of [[0, 7], [9, 30], [12, 0], [13, 5], [23, 59]]) {
        const d = new Date(2026, m, 1 + m * 2, h, min);
        expect(formatDate(d.toISOString())).toBe(f.format(d));
      }
    }
  });

  it.each(['en', 'es'])('numbers in %s', (lang) => {
    setLanguage(lang);
    const f = new Intl.NumberFormat(lang);
    for (const n of [0, 1, 12, 999, 1000, 1234, 9999, 10000, 12345, 999999, 1234567, -1234, -12345]) {
      expect(formatNumber(n)).toBe(f.format(n));
    }
  });

  it('keeps what it cannot read as it is', () => {
    expect(formatDate('not a date')).toBe('not a date');
    expect(relative('not a date')).toBe('not a date');
    expect(formatNumber(1.5)).toBe('1.5');
  });
});

// Source files for the static checks below, read by Vite like any import.
const sources = import.meta.glob(['../**/*.svelte', '../**/*.ts', '!../**/*.test.ts', '!../**/fakeBackend.ts', '!../test-setup.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

describe('every visible string comes from the catalogue', () => {
  it('finds the sources', () => {
    expect(Object.keys(sources).some((f) => f.endsWith('IntegrationRow.svelte'))).toBe(true);
  });

  it('uses only keys that exist', () => {
    const missing: string[] = [];
    for (const [f, text] of Object.entries(sources)) {
      for (const m of text.matchAll(/\b(?:t|plural|has)\(\s*'([a-z_][a-z0-9_.-]*)'/g)) {
        const key = m[0].startsWith('plural') ? `${m[1]}.other` : m[1];
        if (!(key in catalogues.en)) missing.push(`${f}: ${key}`);
      }
      // Keys held in tables, e.g. { label: 'ui.setting_retention' }.
      for (const m of text.matchAll(/'((?:ui|error|status|cause|field|event|summary|kind|option|problem)\.[a-z0-9_.-]*[a-z0-9])'/g)) {
        if (!(m[1] in catalogues.en) && !(`${m[1]}.other` in catalogues.en)) missing.push(`${f}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has a sentence for every key built from a value', () => {
    const built = [
      ...STATUS_ORDER.flatMap((s) => [`status.${s}`, `summary.${s}.other`]),
      ...CAUSES.flatMap((c) => [`cause.${c}`, `cause.${c}.short`]),
      ...['integrations', 'history', 'settings'].map((v) => `ui.nav.${v}`),
      ...['saas', 'database', 'custom'].map((g) => `ui.group.${g}`),
      ...['oauth2', 'api_key', 'database'].map((k) => `kind.${k}`),
      ...['24h', '7d', '30d', '365d', 'all'].map((r) => `ui.range.${r}`),
      ...['second', 'minute', 'hour', 'day', 'week', 'month', 'year'].flatMap((u) => [`time.${u}.past`, `time.${u}.future`]),
      ...['check', 'status_change', 'refresh', 'reauthorize', 'created', 'settings_change', 'removed', 'error'].map((k) => `event.${k}`),
    ];
    expect(built.filter((k) => !(k in catalogues.en))).toEqual([]);
  });

  it('renders no literal text in component markup', () => {
    // Symbols and the product name are the same in every language.
    const allowed = new Set(['Relink', '—', '*', '→', '·']);
    const offenders: string[] = [];
    for (const [f, text] of Object.entries(sources)) {
      if (!f.endsWith('.svelte')) continue;
      const markup = text
        .replace(/<script[\s\S]*?<\/script>/g, '')
        .replace(/<style[\s\S]*?<\/style>/g, '')
        .replace(/<svg[\s\S]*?<\/svg>/g, '')
        .replace(/\{[^{}]*(\{[^{}]*\}[^{}]*)*\}/g, '{}');
      // Text between tags, with {expressions} removed.
      for (const m of markup.matchAll(/>([^<>]+)</g)) {
        const txt = m[1].replace(/\{\}/g, '').trim();
        if (/\p{L}/u.test(txt) && !allowed.has(txt)) offenders.push(`${f}: "${txt}"`);
      }
      // Attributes people read or hear.
      for (const m of markup.matchAll(/\b(aria-label|placeholder|title|alt|label)="([^"]*)"/g)) {
        if (/\p{L}/u.test(m[2].replace(/\{\}/g, ''))) offenders.push(`${f}: ${m[1]}="${m[2]}"`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
