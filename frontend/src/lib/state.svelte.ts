// App-wide state: the integrations list and toasts, kept live by events.
import { api, toProblem } from './api';
import { on } from './events';
import { keyedFrameQueue } from './frames';
import { problem } from './i18n.svelte';
import type { IntegrationView, Problem, StorageView } from './types';

class Store {
  // Raw: the list is replaced, never changed in place, so a thousand views
  // cost a thousand plain objects, not a proxy and a signal per field.
  integrations = $state.raw([] as IntegrationView[]);
  loaded = $state(false);
  loadError = $state(undefined as Problem | undefined);
  toasts = $state([] as { id: number; kind: 'ok' | 'error'; text: string }[]);
  // Whether the data can be saved; undefined until the backend answered.
  storage = $state.raw(undefined as StorageView | undefined);
}
export const store = new Store();

let toastSeq = 0;
// A few at a time: older outcomes are history by then, and a tall stack
// would cover the rows the user is working on.
const maxToasts = 3;

/** toast shows an outcome; keep leaves it until dismissed (a step the user still has to take). */
export function toast(kind: 'ok' | 'error', text: string, keep = false) {
  const id = ++toastSeq;
  store.toasts = [...store.toasts.slice(1 - maxToasts), { id, kind, text }];
  if (!keep) setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 4000);
}
export function dismiss(id: number) {
  store.toasts = store.toasts.filter((x) => x.id !== id);
}
export function toastProblem(err: unknown) {
  toast('error', problem(toProblem(err)));
}

export async function loadStorage() {
  try {
    store.storage = await api.storage();
  } catch (err) {
    toastProblem(err);
  }
}

export async function reload() {
  try {
    store.integrations = await api.listIntegrations();
    store.loadError = undefined;
  } catch (err) {
    store.loadError = toProblem(err);
  } finally {
    store.loaded = true;
  }
}

/** upsertAll puts fresh views of integrations into the list, in one update. */
export function upsertAll(vs: IntegrationView[]): IntegrationView[] {
  // Anything queued for these is older than what the caller holds.
  changes.drop(vs.map((v) => v.id));
  apply(vs);
  return vs;
}

/** upsert puts a fresh view of one integration into the list and returns it. */
export function upsert(v: IntegrationView): IntegrationView {
  return upsertAll([v])[0];
}

// Where each id is in the list, kept across updates while nothing else
// replaced the list: a sweep's many small updates then allocate no index.
let indexed: IntegrationView[] | undefined;
let at = new Map<string, number>();

function apply(vs: IntegrationView[]) {
  if (indexed !== store.integrations) at = new Map(store.integrations.map((x, i) => [x.id, i]));
  const next = store.integrations.slice();
  for (const v of vs) {
    const i = at.get(v.id);
    if (i === undefined) at.set(v.id, next.push(v) - 1);
    else next[i] = checkingInPlace(next[i], v);
  }
  store.integrations = indexed = next;
}

// A row being checked keeps the place its last outcome gave it: a sweep
// would otherwise lift every row to "checking" and drop it back, so the
// list jumped under the pointer and rebuilt every visible row per update.
function checkingInPlace(old: IntegrationView, v: IntegrationView): IntegrationView {
  return v.status === 'checking' && old.severity !== v.severity ? { ...v, severity: old.severity } : v;
}

// Status events come in bursts while a sweep reports in: the page takes
// them once per frame.
const changes = keyedFrameQueue((v: IntegrationView) => v.id, apply);

export function subscribe(): () => void {
  const offs = [
    on('integrations:changed', (vs) => changes.push(vs)),
    on('integration:changed', (v) => changes.push([v])),
    on('integration:removed', ({ id }) => {
      changes.drop([id]);
      store.integrations = store.integrations.filter((x) => x.id !== id);
    }),
    on('integrations:reload', () => void reload()),
    on('storage:changed', (s) => {
      store.storage = s;
    }),
  ];
  return () => offs.forEach((f) => f());
}
