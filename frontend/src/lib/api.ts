// The only module that calls Go. Wails injects window.go.main.App; tests
// and the dev preview install a fake with the same methods. Backend is
// checked against the Go bindings by bridge.check.ts.
import type {
  AddRequest, AlertDestination, AlertTestResult, HistoryFilter, Navigate, HistoryPage, IntegrationView, Problem, ProviderView, ReauthStart, RedirectView, Settings, StorageView, Zone,
} from './types';

export interface Backend {
  ListIntegrations(): Promise<IntegrationView[]>;
  ListProviders(): Promise<ProviderView[]>;
  RedirectURI(provider: string, settings: Record<string, string>): Promise<RedirectView>;
  AddIntegration(req: AddRequest): Promise<IntegrationView>;
  UpdateIntegration(id: string, name: string, settings: Record<string, string>): Promise<IntegrationView>;
  RemoveIntegration(id: string): Promise<{ revoked: boolean; problem?: Problem; revokeUrl?: string }>;
  StartReauth(id: string): Promise<ReauthStart>;
  CancelReauth(attemptId: string): Promise<boolean>;
  ConfirmAccount(attemptId: string, accept: boolean): Promise<boolean>;
  SubmitSecret(id: string, secret: string): Promise<IntegrationView>;
  AcceptHostKey(id: string, fingerprint: string): Promise<IntegrationView>;
  CheckNow(ids: string[]): Promise<IntegrationView[]>;
  SetPaused(id: string, paused: boolean): Promise<IntegrationView>;
  History(f: HistoryFilter): Promise<HistoryPage>;
  ExportHistoryCSV(f: HistoryFilter): Promise<string>;
  GetSettings(): Promise<Settings>;
  SaveSettings(s: Settings): Promise<Settings>;
  SystemLocale(): Promise<string>;
  TimeZone(): Promise<Zone>;
  ReportProblem(id: string): Promise<string>;
  SupportSummary(id: string): Promise<string>;
  OpenSupport(id: string): Promise<boolean>;
  Storage(): Promise<StorageView>;
  RetryStorage(): Promise<StorageView>;
  OpenDataFolder(): Promise<boolean>;
  StartupNavigation(): Promise<Navigate>;
  ListAlerts(): Promise<AlertDestination[]>;
  AddAlert(label: string, format: string, url: string): Promise<AlertDestination>;
  RemoveAlert(id: string): Promise<AlertDestination>;
  TestAlert(id: string): Promise<AlertTestResult>;
}

declare global {
  interface Window {
    go?: { main?: { App?: Backend } };
    runtime?: {
      EventsOn(name: string, cb: (...data: unknown[]) => void): () => void;
      BrowserOpenURL(url: string): void;
      ClipboardSetText(text: string): Promise<boolean>;
    };
  }
}

/** ProblemError is a rejected call, carrying the backend's Problem. */
export class ProblemError extends Error {
  problem: Problem;
  constructor(problem: Problem) {
    super(problem.code);
    this.problem = problem;
  }
}

/** toProblem turns whatever a rejected call gave into a Problem. */
export function toProblem(err: unknown): Problem {
  if (err instanceof ProblemError) return err.problem;
  const msg = typeof err === 'string' ? err : err instanceof Error ? err.message : String(err);
  try {
    const p = JSON.parse(msg);
    if (p && typeof p.code === 'string') return { code: p.code, params: p.params ?? {} };
  } catch {
    // not JSON: fall through
  }
  // Not one of ours: the person reads the generic sentence, the console
  // keeps the text.
  console.warn('relink: unexpected error', msg);
  return { code: 'error.internal', params: { detail: msg } };
}

function backend(): Backend {
  const b = window.go?.main?.App;
  if (!b) throw new ProblemError({ code: 'error.internal', params: { detail: 'backend not connected' } });
  return b;
}

async function call<T>(f: (b: Backend) => Promise<T>): Promise<T> {
  try {
    return await f(backend());
  } catch (err) {
    throw new ProblemError(toProblem(err));
  }
}

export const api = {
  listIntegrations: () => call((b) => b.ListIntegrations()),
  listProviders: () => call((b) => b.ListProviders()),
  redirectURI: (provider: string, settings: Record<string, string>) => call((b) => b.RedirectURI(provider, settings)),
  addIntegration: (req: AddRequest) => call((b) => b.AddIntegration(req)),
  updateIntegration: (id: string, name: string, settings: Record<string, string>) =>
    call((b) => b.UpdateIntegration(id, name, settings)),
  removeIntegration: (id: string) => call((b) => b.RemoveIntegration(id)),
  startReauth: (id: string) => call((b) => b.StartReauth(id)),
  cancelReauth: (attemptId: string) => call((b) => b.CancelReauth(attemptId)),
  confirmAccount: (attemptId: string, accept: boolean) => call((b) => b.ConfirmAccount(attemptId, accept)),
  submitSecret: (id: string, secret: string) => call((b) => b.SubmitSecret(id, secret)),
  acceptHostKey: (id: string, fingerprint: string) => call((b) => b.AcceptHostKey(id, fingerprint)),
  checkNow: (ids: string[]) => call((b) => b.CheckNow(ids)),
  setPaused: (id: string, paused: boolean) => call((b) => b.SetPaused(id, paused)),
  history: (f: HistoryFilter) => call((b) => b.History(f)),
  exportHistoryCSV: (f: HistoryFilter) => call((b) => b.ExportHistoryCSV(f)),
  getSettings: () => call((b) => b.GetSettings()),
  saveSettings: (s: Settings) => call((b) => b.SaveSettings(s)),
  systemLocale: () => call((b) => b.SystemLocale()),
  timeZone: () => call((b) => b.TimeZone()),
  reportProblem: (id: string) => call((b) => b.ReportProblem(id)),
  supportSummary: (id: string) => call((b) => b.SupportSummary(id)),
  openSupport: (id: string) => call((b) => b.OpenSupport(id)),
  storage: () => call((b) => b.Storage()),
  retryStorage: () => call((b) => b.RetryStorage()),
  openDataFolder: () => call((b) => b.OpenDataFolder()),
  startupNavigation: () => call((b) => b.StartupNavigation()),
  listAlerts: () => call((b) => b.ListAlerts()),
  addAlert: (label: string, format: string, url: string) => call((b) => b.AddAlert(label, format, url)),
  removeAlert: (id: string) => call((b) => b.RemoveAlert(id)),
  testAlert: (id: string) => call((b) => b.TestAlert(id)),
  openURL: (url: string) => window.runtime?.BrowserOpenURL(url),
  copy: async (text: string) => {
    if (window.runtime?.ClipboardSetText) return window.runtime.ClipboardSetText(text);
    await navigator.clipboard?.writeText(text);
    return true;
  },
};
