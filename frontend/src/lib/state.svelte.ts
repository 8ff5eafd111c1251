// App-wide state: the integrations list and toasts, kept live by events.
import { api, toProblem } from './api';
import { on } from './events';
import { problem } from './i18n.svelte';
import type { IntegrationView, Problem, StorageView } from './types';

export const store = $state({
  integrations: [] as IntegrationView[],
  loaded: false,
  loadError: undefined as Problem | undefined,
  toasts: [] as { id: number; kind: 'ok' | 'error'; text: string }[],
  // Whether the data can be saved; undefined until the backend answered.
  storage: undefined as StorageView | undefined,
});

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

/** upsert puts a fresh view of one integration into the list and returns it. */
export function upsert(v: IntegrationView): IntegrationView {
  const i = store.integrations.findIndex((x) => x.id === v.id);
  if (i >= 0) store.integrations[i] = v;
  else store.integrations.push(v);
  return v;
}

export function subscribe(): () => void {
  const offs = [
    on('integration:changed', (v) => upsert(v)),
    on('integration:removed', ({ id }) => {
      store.integrations = store.integrations.filter((x) => x.id !== id);
    }),
    on('integrations:reload', () => void reload()),
    on('storage:changed', (s) => {
      store.storage = s;
    }),
  ];
  return () => offs.forEach((f) => f());
}
