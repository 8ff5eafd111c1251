import { afterEach, describe, expect, it } from 'vitest';
import { filterSort } from './list';
import { sample } from './fakeBackend';
import { setLanguage } from './i18n.svelte';

afterEach(() => setLanguage('en'));

const names = (ns: string[]) =>
  filterSort(
    ns.map((n) => sample(n, n, 'x', 'X', 'connected')),
    { search: '', status: '' },
  ).map((v) => v.name);

describe('name order', () => {
  it('counts numbers as numbers', () => {
    expect(names(['int-10', 'int-2', 'int-1', 'Int-3'])).toEqual(['int-1', 'int-2', 'Int-3', 'int-10']);
  });

  it('follows the language: ñ after n in Spanish', () => {
    setLanguage('es');
    expect(names(['ñu', 'oca', 'nube'])).toEqual(['nube', 'ñu', 'oca']);
  });
});
