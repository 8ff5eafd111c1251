// The only module that listens to Go's events. The names and payloads are
// Go's (services and window packages): bridge.check.ts fails the type
// check when Handlers and the Go side differ.
import type { IntegrationView, Navigate, ReauthProgress, Settings, StorageView } from './types';

export type Handlers = {
  'integration:changed': (v: IntegrationView) => void;
  // Go batches integration:changed into this one (desktop.Batcher).
  'integrations:changed': (vs: IntegrationView[]) => void;
  'integration:removed': (v: { id: string }) => void;
  'integrations:reload': () => void;
  'reauth:progress': (p: ReauthProgress) => void;
  'settings:changed': (s: Settings) => void;
  'storage:changed': (s: StorageView) => void;
  navigate: (n: Navigate) => void;
};

/** on subscribes to a backend event and returns the unsubscribe function. */
export function on<K extends keyof Handlers>(name: K, handler: Handlers[K]): () => void {
  const rt = window.runtime;
  if (!rt?.EventsOn) return () => {};
  return rt.EventsOn(name, (...data: unknown[]) => (handler as (...a: unknown[]) => void)(...data));
}
