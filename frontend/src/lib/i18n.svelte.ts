// One message catalogue per language, shared with the Go backend. Every
// file in backend/i18n/locales is a language: adding one is adding a file.
import type { Problem } from './types';

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

/** plural picks key.one / key.other… by the language's plural rules. */
export function plural(key: string, count: number, params: Params = {}): string {
  const form = formatter('plural', (l) => new Intl.PluralRules(l)).select(count);
  const k = has(`${key}.${form}`) ? `${key}.${form}` : `${key}.other`;
  return t(k, { ...params, count: formatNumber(count) });
}

// Making an Intl formatter costs far more than using one, and a list of
// rows uses a few each: one of each per language, made on first use.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat | Intl.PluralRules>();
function formatter<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat | Intl.PluralRules>(kind: string, make: (lang: string) => T): T {
  const k = `${state.lang} ${kind}`;
  let f = formatters.get(k) as T | undefined;
  if (!f) formatters.set(k, (f = make(state.lang)));
  return f;
}

export function formatNumber(n: number): string {
  return formatter('number', (l) => new Intl.NumberFormat(l)).format(n);
}

export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  return formatter('date', (l) => new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeStyle: 'short' })).format(new Date(iso));
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
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
 * on, where short forms turn cryptic ("dentro de 5 d").
 */
export function relative(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  const [unit, size] = units.find(([, size]) => Math.abs(secs) >= size) ?? units[units.length - 1];
  const style = size >= 24 * 3600 ? 'long' : 'short';
  return formatter(`relative ${style}`, (l) => new Intl.RelativeTimeFormat(l, { numeric: 'auto', style })).format(Math.round(secs / size), unit);
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
