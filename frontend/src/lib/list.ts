// Pure list logic: search, filter, severity sort and summary counts.
import type { IntegrationView, Status } from './types';

export interface ListQuery {
  search: string;
  status: Status | '' | 'attention';
}

export function filterSort(items: IntegrationView[], q: ListQuery): IntegrationView[] {
  const s = q.search.trim().toLowerCase();
  return items
    .filter((v) => {
      if (q.status === 'attention' && !v.needsAttention) return false;
      if (q.status && q.status !== 'attention' && v.status !== q.status) return false;
      if (!s) return true;
      return [v.name, v.providerName, v.account, v.provider].some((f) => f?.toLowerCase().includes(s));
    })
    .sort((a, b) => b.severity - a.severity || a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
}

export function groups(items: IntegrationView[]): { group: 'saas' | 'database'; items: IntegrationView[] }[] {
  const out: { group: 'saas' | 'database'; items: IntegrationView[] }[] = [];
  for (const g of ['saas', 'database'] as const) {
    const its = items.filter((v) => v.group === g);
    if (its.length) out.push({ group: g, items: its });
  }
  return out;
}

export function counts(items: IntegrationView[]): Partial<Record<Status, number>> {
  const c: Partial<Record<Status, number>> = {};
  for (const v of items) c[v.status] = (c[v.status] ?? 0) + 1;
  return c;
}
