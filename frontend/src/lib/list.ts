// List logic: search, filter, severity sort, grouping, summary counts and
// the sentence that tells the user what to do about a row.
import { relative, t } from './i18n.svelte';
import type { Cause, IntegrationView, Problem, Status } from './types';

export interface ListQuery {
  search: string;
  status: Status | '' | 'attention';
}

/**
 * filterSort keeps the rows the query matches, in the order Go's lists use
 * (integration.SortByAttention: most severe first by the severity Go sends,
 * then names as people count them, by the name key Go sends: the page
 * loads no collator); order.test.ts holds both to the same cases.
 */
export function filterSort(items: IntegrationView[], q: ListQuery): IntegrationView[] {
  const s = q.search.trim().toLowerCase();
  return items
    .filter((v) => {
      if (q.status === 'attention' && !v.needsAttention) return false;
      if (q.status && q.status !== 'attention' && v.status !== q.status) return false;
      if (!s) return true;
      return [v.name, v.providerName, v.account, v.provider].some((f) => f?.toLowerCase().includes(s));
    })
    .sort((a, b) => b.severity - a.severity || (a.nameKey < b.nameKey ? -1 : a.nameKey > b.nameKey ? 1 : 0));
}

export type Group = 'saas' | 'database' | 'store';

export function groups(items: IntegrationView[]): { group: Group; items: IntegrationView[] }[] {
  return (['saas', 'database', 'store'] as const)
    .map((group) => ({ group, items: items.filter((v) => v.group === group) }))
    .filter((g) => g.items.length);
}

export function counts(items: IntegrationView[]): Partial<Record<Status, number>> {
  const c: Partial<Record<Status, number>> = {};
  for (const v of items) c[v.status] = (c[v.status] ?? 0) + 1;
  return c;
}

// New credentials do not fix these; a later check does.
const transientCauses: Cause[] = ['provider_issue', 'local_problem', 'app_problem'];

/** isTransient reports a broken row that needs a re-check, not a reauthorization. */
export function isTransient(v: IntegrationView): boolean {
  return v.needsAttention && transientCauses.includes(v.cause);
}

// The user's OAuth client registration is what to fix for these.
const oauthAppProblems = ['problem.oauth_client_invalid', 'problem.oauth_client_secret_expired'];

/**
 * fixedElsewhere reports a failure new credentials do not fix: an admin or
 * the account owner must act at the provider, or the user's OAuth app must
 * be fixed (integration.FixedElsewhere). Its row links to the provider's
 * page instead of offering a reauthorization loop.
 */
export function fixedElsewhere(v: IntegrationView): boolean {
  return v.needsAttention && v.status === 'error' && (v.cause === 'account_changed' || oauthAppProblems.includes(v.problem?.code ?? ''));
}

/** canReauthorize reports a broken row that new credentials repair (integration.Reauthorizable). */
export function canReauthorize(v: IntegrationView): boolean {
  return v.needsAttention && !isTransient(v) && !fixedElsewhere(v);
}

const quiet: Status[] = ['connected', 'checking', 'paused'];

/**
 * statusSentence is what a row says when it is not healthy: the cause's
 * sentence (what happened and what to do next) and the specific problem
 * as detail, unless the problem only repeats the cause.
 */
export function statusSentence(v: IntegrationView): { text: string; detail?: Problem } {
  if (quiet.includes(v.status)) return { text: '' };
  const detail = v.problem && v.problem.code !== `problem.${v.cause}` ? v.problem : undefined;
  if (v.cause) return { text: t(`cause.${v.cause}`), detail };
  if (v.status === 'expiring' && v.refreshExpiresAt && !detail) {
    return { text: t('ui.expiring_hint', { when: relative(v.refreshExpiresAt) }) };
  }
  return { text: '', detail };
}
