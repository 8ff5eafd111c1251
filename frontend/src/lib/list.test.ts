import { afterEach, describe, expect, it } from 'vitest';
import { counts, filterSort, groups, isTransient, statusSentence } from './list';
import { sample, sampleIntegrations } from './fakeBackend';
import { setLanguage } from './i18n.svelte';

afterEach(() => setLanguage('en'));

const ids = (vs: { id: string }[]) => vs.map((v) => v.id);

describe('filterSort', () => {
  it('sorts by severity, then name', () => {
    const got = filterSort(sampleIntegrations, { search: '', status: '' });
    const sev = got.map((v) => v.severity);
    expect(sev).toEqual([...sev].sort((a, b) => b - a));
    expect(ids(got).slice(0, 2)).toEqual(['ga-1', 'sf-1']);
    const same = [sample('b', 'beta', 'x', 'X', 'connected'), sample('a', 'Alpha', 'x', 'X', 'connected')];
    expect(ids(filterSort(same, { search: '', status: '' }))).toEqual(['a', 'b']);
  });

  it.each([
    ['acme', ['sf-1', 'shop-1', 'stripe-1']],
    ['POSTGRES', ['pg-1']],
    ['  xero ', ['xero-1']],
    ['nothing like this', []],
  ])('searches name, provider and account for %j', (search, want) => {
    expect(ids(filterSort(sampleIntegrations, { search, status: '' })).sort()).toEqual(want);
  });

  it.each([
    ['needs_reauth', ['ga-1', 'sf-1']],
    ['error', ['hub-1', 'my-1']],
    ['attention', ['ga-1', 'sf-1', 'hub-1', 'my-1', 'shop-1', 'xero-1']],
  ] as const)('filters by status %s', (status, want) => {
    expect(ids(filterSort(sampleIntegrations, { search: '', status }))).toEqual(want);
  });
});

describe('groups and counts', () => {
  it('puts SaaS before databases and leaves out empty groups', () => {
    expect(groups(sampleIntegrations).map((g) => [g.group, g.items.length])).toEqual([
      ['saas', 7],
      ['database', 2],
    ]);
    expect(groups(sampleIntegrations.filter((v) => v.group === 'database')).map((g) => g.group)).toEqual(['database']);
  });

  it('lists store platforms (database presets) in their own group after databases', () => {
    const shop = { ...sampleIntegrations.find((v) => v.group === 'database')!, id: 'shop', group: 'store' as const };
    expect(groups([shop, ...sampleIntegrations]).map((g) => [g.group, g.items.length])).toEqual([
      ['saas', 7],
      ['database', 2],
      ['store', 1],
    ]);
  });

  it('counts statuses', () => {
    expect(counts(sampleIntegrations)).toEqual({ needs_reauth: 2, error: 2, degraded: 1, expiring: 1, paused: 1, connected: 2 });
  });
});

describe('statusSentence', () => {
  const byId = (id: string) => sampleIntegrations.find((v) => v.id === id)!;

  it.each([
    ['ga-1', 'The authorization token expired. Reauthorize to reconnect.', undefined],
    ['shop-1', 'The account, its permissions or its plan changed at the provider.', 'problem.missing_scopes'],
    ['xero-1', 'The authorization ends in 3 days. Reauthorize before then to avoid a gap in your data.', undefined],
    ['stripe-1', '', undefined],
    ['meta-1', '', undefined],
  ])('%s', (id, text, detail) => {
    const got = statusSentence(byId(id));
    expect(got.text).toBe(text);
    expect(got.detail?.code).toBe(detail);
  });

  it('speaks Spanish', () => {
    setLanguage('es');
    expect(statusSentence(byId('ga-1')).text).toBe('El token de autenticación caducó. Vuelve a autorizar para reconectar.');
  });

  it('tells outages from broken credentials', () => {
    expect(sampleIntegrations.filter(isTransient).map((v) => v.id)).toEqual(['hub-1', 'my-1']);
  });
});
