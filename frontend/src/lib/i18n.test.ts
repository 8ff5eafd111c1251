import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { catalogues, match, plural, relative, setLanguage, t } from './i18n.svelte';

const params = (s: string) => (s.match(/\{[a-zA-Z_]+\}/g) ?? []).sort().join(',');

describe('message catalogues', () => {
  it('has the same keys and params in every language', () => {
    const langs = Object.keys(catalogues);
    expect(langs).toContain('en');
    expect(langs).toContain('es');
    for (const a of langs) {
      for (const b of langs) {
        for (const k of Object.keys(catalogues[a])) {
          expect(catalogues[b], `${b} lacks ${k} (present in ${a})`).toHaveProperty([k]);
          expect(params(catalogues[b][k]), `${b}:${k} params`).toBe(params(catalogues[a][k]));
        }
      }
    }
  });

  it('matches locales to languages', () => {
    expect(match('es-ES')).toBe('es');
    expect(match('es_MX.UTF-8')).toBe('es');
    expect(match('fr-FR')).toBe('en');
    expect(match(undefined)).toBe('en');
  });

  it('renders Spanish relative times and plurals', () => {
    setLanguage('es');
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(relative('2026-11-28T09:57:00Z', now)).toBe('hace 3 min');
    expect(plural('summary.needs_reauth', 2)).toBe('2 requieren nueva autorización');
    expect(plural('summary.needs_reauth', 1)).toBe('1 requiere nueva autorización');
    expect(t('status.connected')).toBe('Conectada');
    setLanguage('en');
    expect(relative('2026-11-28T09:57:00Z', now)).toBe('3 min. ago');
    expect(plural('summary.needs_reauth', 2)).toBe('2 need reauthorization');
  });
});

// Every source file, for the static checks below.
function files(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(svelte|ts)$/.test(f) && !f.endsWith('.test.ts') && !f.includes('fakeBackend')) out.push(p);
  }
  return out;
}
const src = join(__dirname, '..');

describe('every visible string comes from the catalogue', () => {
  it('uses only keys that exist', () => {
    const missing: string[] = [];
    for (const f of files(src)) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bt\('([a-z_.]+)'/g)) {
        if (!(m[1] in catalogues.en)) missing.push(`${f}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('renders no literal text in component markup', () => {
    const allowed = new Set(['Relink', '×', '—', '*', '✓', '✕', '+', '·']);
    const offenders: string[] = [];
    for (const f of files(src).filter((f) => f.endsWith('.svelte'))) {
      const markup = readFileSync(f, 'utf8')
        .replace(/<script[\s\S]*?<\/script>/g, '')
        .replace(/<style[\s\S]*?<\/style>/g, '')
        .replace(/<svg[\s\S]*?<\/svg>/g, '');
      // Text between tags, with {expressions} removed.
      for (const m of markup.matchAll(/>([^<>]+)</g)) {
        const text = m[1].replace(/\{[^{}]*(\{[^{}]*\}[^{}]*)*\}/g, '').trim();
        if (text && /[A-Za-zÀ-ÿ]/.test(text) && !allowed.has(text)) offenders.push(`${f}: "${text}"`);
      }
      // Attributes users read.
      for (const m of markup.matchAll(/\b(aria-label|placeholder|title|alt)="([^"{]*)"/g)) {
        if (/[A-Za-z]/.test(m[2])) offenders.push(`${f}: ${m[1]}="${m[2]}"`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
