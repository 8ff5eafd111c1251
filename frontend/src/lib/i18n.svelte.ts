// One message catalogue per language, shared with the Go backend. Every
// file in backend/i18n/locales is a language: adding one is adding a file.
import type { Problem } from './types';
import { wallClock } from './zone';

type Params = Record<string, string | number>;

const modules = import.meta.glob('../../../backend/i18n/locales/*.json', { eager: true, import: 'default' }) as Record<
  string,
  Record<string, string>
>;

export const catalogues: Record<string, Record<string, string>> = {};
for (const [path, msgs] of Object.entries(modules)) {
  catalogues[path.split('/').pop()!.replace(/\.json$/, '')] = msgs;
}

export const FALLBACK = 'en';
export const languages = Object.keys(catalogues).sort();

// tick changes every 30 s so relative times ("3 min ago") re-render.
const state = $state({ lang: FALLBACK, tick: 0 });

/** match maps a locale such as "es-ES" or "es_MX.UTF-8" to a language we have. */
export function match(locale: string | undefined): string {
  if (!locale) return FALLBACK;
  const l = locale.toLowerCase().replace('_', '-').split(/[.@]/)[0];
  if (catalogues[l]) return l;
  const base = l.split('-')[0];
  return catalogues[base] ? base : FALLBACK;
}

export function setLanguage(lang: string) {
  state.lang = catalogues[lang] ? lang : FALLBACK;
  if (typeof document !== 'undefined') document.documentElement.lang = state.lang;
}

export function language(): string {
  return state.lang;
}

/** languageName is a language's name in that language, from its own catalogue. */
export function languageName(lang: string): string {
  return catalogues[lang]?.['language.self'] ?? lang;
}

/** t renders a message with {param} placeholders; English, then the key, as fallbacks. */
export function t(key: string, params?: Params): string {
  const msg = catalogues[state.lang]?.[key] ?? catalogues[FALLBACK]?.[key] ?? key;
  if (!params) return msg;
  return msg.replace(/\{([a-zA-Z_]+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** has reports whether a key exists in the catalogue. */
export function has(key: string): boolean {
  return key in (catalogues[FALLBACK] ?? {});
}

/**
 * plural picks key.one / key.other. English and Spanish share the rule
 * "one when n == 1" (Go's Catalog.Plural says the same); a language with
 * other rules would add its categories here.
 */
export function plural(key: string, count: number, params: Params = {}): string {
  const form = count === 1 ? 'one' : 'other';
  const k = has(`${key}.${form}`) ? `${key}.${form}` : `${key}.other`;
  return t(k, { ...params, count: formatNumber(count) });
}

// Numbers, dates and relative times are rendered from the catalogue's
// format.* and time.* messages (CLDR's forms for each language; i18n.test.ts
// holds them to what Intl renders), not with Intl: its formatters make
// WebKit's web process load ICU's locale data, about 3 MB of the window
// with any integration in the list (bench/scale, 200 integrations). Local
// time comes from Go's zone offsets (zone.ts) for the same reason.

/** formatNumber renders an integer with the language's digit grouping (1,234 in English, 12.345 in Spanish). */
export function formatNumber(n: number): string {
  if (!Number.isSafeInteger(n) || Math.abs(n) < Number(t('format.group_from'))) return String(n);
  return (n < 0 ? '-' : '') + String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, t('format.group'));
}

/** formatDate renders a date and time in the local time zone ("Nov 3, 2026, 8:07 PM", "3 nov 2026, 20:07"). */
export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return iso;
  const d = wallClock(ms);
  const h = d.hours;
  const minute = String(d.minutes).padStart(2, '0');
  const time =
    t('format.clock') === '12'
      ? t('format.time_12h', { hour: h % 12 || 12, minute, period: t(h < 12 ? 'format.am' : 'format.pm') })
      : t('format.time_24h', { hour: h, minute });
  return t('format.date_time', { month: t('format.months').split(' ')[d.month], day: d.day, year: d.year, time });
}

const units: [string, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/**
 * relative renders "3 min. ago" / "in 5 days" / "hace 3 min" from now:
 * short units up to hours, where they read well, and whole words from days
 * on, where short forms turn cryptic ("dentro de 5 d"). A value with its
 * own word ("yesterday", "anteayer") uses it, as Intl's numeric: 'auto' does.
 */
export function relative(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Number.isNaN(secs)) return iso;
  const [unit, size] = units.find(([, size]) => Math.abs(secs) >= size) ?? units[units.length - 1];
  const n = Math.round(secs / size);
  const word = `time.${unit}.${n}`;
  if (word in (catalogues[state.lang] ?? {})) return t(word);
  return t(`time.${unit}.${n < 0 ? 'past' : 'future'}`, { count: formatNumber(Math.abs(n)) });
}

/** providerName is a catalogue provider's name in the current language. */
export function providerName(id: string, fallback: string): string {
  return has(`provider.${id}.name`) ? t(`provider.${id}.name`) : fallback;
}

/**
 * problem renders a backend Problem in the current language. A field param
 * is shown by its label, and a "reason" picks a more precise sentence
 * (error.field_invalid.pattern) when the catalogue has one.
 */
export function problem(p: Problem | undefined): string {
  if (!p) return '';
  // A code this catalogue does not know: the generic sentence for the
  // person, the code for the console.
  if (!has(p.code)) {
    console.warn('relink: no sentence for problem', p.code);
    return t('error.internal');
  }
  const params: Params = { ...(p.params ?? {}) };
  if (typeof params.field === 'string' && has(`field.${params.field}`)) params.field = t(`field.${params.field}`);
  // A wrapped problem (Go's integration.Wrap): the inner code's sentence fills {problem}.
  if (typeof params.problem === 'string' && has(params.problem)) params.problem = t(params.problem, p.params);
  const precise = `${p.code}.${p.params?.reason ?? ''}`;
  return t(p.params?.reason && has(precise) ? precise : p.code, params);
}

/** bump makes time-relative text re-render (called every 30 s). */
export function bump() {
  state.tick++;
}

/** tick is read by anything showing a relative time, to re-render on bump. */
export function tick(): number {
  return state.tick;
}
