import { describe, expect, it } from 'vitest';
import { counts, filterSort, groups } from './list';
import { sampleIntegrations } from './fakeBackend';

describe('list', () => {
  it('sorts by severity, then name', () => {
    const got = filterSort(sampleIntegrations, { search: '', status: '' }).map((v) => v.status);
    const sev = got.map((s) => ['connected', 'paused', 'checking', 'expiring', 'degraded', 'error', 'needs_reauth'].indexOf(s));
    expect([...sev].sort((a, b) => b - a)).toEqual(sev);
    const names = filterSort(sampleIntegrations, { search: '', status: 'needs_reauth' }).map((v) => v.name);
    expect(names).toEqual(['Marketing GA4', 'Salesforce (prod)']);
  });

  it('filters by search over name, provider and account', () => {
    expect(filterSort(sampleIntegrations, { search: 'acme', status: '' }).map((v) => v.id).sort()).toEqual(['sf-1', 'shop-1', 'stripe-1']);
    expect(filterSort(sampleIntegrations, { search: 'postgres', status: '' }).map((v) => v.id)).toEqual(['pg-1']);
  });

  it('filters to what needs attention', () => {
    const got = filterSort(sampleIntegrations, { search: '', status: 'attention' });
    expect(got.every((v) => v.needsAttention)).toBe(true);
    expect(got.length).toBe(6);
  });

  it('groups SaaS before databases and counts statuses', () => {
    expect(groups(sampleIntegrations).map((g) => g.group)).toEqual(['saas', 'database']);
    expect(counts(sampleIntegrations)).toMatchObject({ needs_reauth: 2, connected: 2, error: 2 });
  });
});
