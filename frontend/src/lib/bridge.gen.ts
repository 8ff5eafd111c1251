// Code generated from the Go bindings by TestBridgeDeclarationIsCurrent
// (bridge_test.go); DO NOT EDIT. Regenerate with make bridge.
// bridge.check.ts fails svelte-check when api.ts, types.ts or events.ts
// no longer match it.

/** integration.Problem */
export interface Problem {
  code: string;
  params?: Record<string, string>;
}

/** health.UpdateCycleView */
export interface UpdateCycleView {
  type: string;
  status: string;
  start: string;
  end: string;
  abbreviation: string;
  zone?: string;
  endAt?: string;
  succeeded: boolean;
  fetchedAt: string;
}

/** services.RedirectView */
export interface RedirectView {
  kind?: string;
  register?: string;
  anyPort?: boolean;
  relayTarget?: string;
  unset?: boolean;
  accepts: string[];
  source: string;
}

/** services.IntegrationView */
export interface IntegrationView {
  id: string;
  name: string;
  nameKey: string;
  provider: string;
  providerName: string;
  kind: string;
  group: string;
  icon: string;
  settings: Record<string, string>;
  account: string;
  requiredScopes: string[];
  grantedScopes: string[];
  missingScopes: string[];
  status: string;
  severity: number;
  cause: string;
  problem?: Problem;
  paused: boolean;
  lastChecked?: string;
  lastHealthy?: string;
  accessExpiresAt?: string;
  refreshExpiresAt?: string;
  docsUrl?: string;
  helpUrl?: string;
  needsAttention: boolean;
  lastUpdate?: UpdateCycleView;
  integrationsUrl?: string;
  redirect?: RedirectView;
  rechecking?: boolean;
  reauthField?: string;
}

/** store.AlertDestination */
export interface AlertDestination {
  id: string;
  label: string;
  format: string;
  createdAt: string;
  lastAttemptAt: string;
  lastDeliveredAt: string;
  lastStatus: number;
  lastError?: string;
  failingSince: string;
  pending: number;
}

/** services.AddRequest */
export interface AddRequest {
  provider: string;
  name: string;
  settings: Record<string, string>;
  secret?: string;
  secrets?: Record<string, string>;
  noVerify?: boolean;
}

/** services.HistoryFilter */
export interface HistoryFilter {
  integrationId?: string;
  statuses?: string[];
  causes?: string[];
  kinds?: string[];
  since?: string;
  until?: string;
  beforeId?: number;
  limit?: number;
}

/** services.Settings */
export interface Settings {
  language: string;
  notifications: boolean;
  closeToTray: boolean;
  openAtLogin: boolean;
  refreshMarginMinutes: number;
  retentionDays: number;
  checkIntervalMinutes: number;
  monitoringPaused: boolean;
  metricsAddress: string;
  extraCAFile: string;
}

/** integration.Event */
export interface Event {
  id: number;
  time: string;
  integrationId: string;
  integration: string;
  kind: string;
  oldStatus?: string;
  newStatus?: string;
  cause?: string;
  message?: string;
  params?: Record<string, string>;
  detail?: string;
  account?: string;
}

/** services.HistoryPage */
export interface HistoryPage {
  events: Event[];
  nextBeforeId?: number;
}

/** services.FieldView */
export interface FieldView {
  key: string;
  required: boolean;
  secret: boolean;
  kind: string;
  pattern?: string;
  placeholder?: string;
  default?: string;
  options?: string[];
}

/** services.ProviderView */
export interface ProviderView {
  id: string;
  name: string;
  kind: string;
  group: string;
  icon: string;
  description?: string;
  docsUrl?: string;
  fields: FieldView[];
  redirect?: RedirectView;
}

/** services.RemoveResult */
export interface RemoveResult {
  revoked: boolean;
  problem?: Problem;
  revokeUrl?: string;
}

/** services.StorageView */
export interface StorageView {
  problem?: Problem;
  readOnly: boolean;
  notice?: Problem;
  path: string;
}

/** window.ReauthStart */
export interface ReauthStart {
  attemptId: string;
  mode: string;
  url?: string;
}

/** window.Navigate */
export interface Navigate {
  view: string;
  integrationId?: string;
  reauth?: boolean;
}

/** alerts.Result */
export interface Result {
  status: number;
  body?: string;
}

/** i18n.ZoneOffset */
export interface ZoneOffset {
  from: number;
  seconds: number;
}

/** i18n.Zone */
export interface Zone {
  name: string;
  offsets: ZoneOffset[];
}

/** services.Removed */
export interface Removed {
  id: string;
}

/** window.ReauthProgress */
export interface ReauthProgress {
  attemptId: string;
  integrationId: string;
  stage: string;
  url?: string;
  problem?: Problem;
  account?: string;
  previousAccount?: string;
  browserFailed?: boolean;
}

export interface Backend {
  AcceptHostKey(arg0: string, arg1: string): Promise<IntegrationView>;
  AddAlert(arg0: string, arg1: string, arg2: string): Promise<AlertDestination>;
  AddIntegration(arg0: AddRequest): Promise<IntegrationView>;
  CancelReauth(arg0: string): Promise<boolean>;
  CheckNow(arg0: string[]): Promise<IntegrationView[]>;
  ConfirmAccount(arg0: string, arg1: boolean): Promise<boolean>;
  ExportHistoryCSV(arg0: HistoryFilter): Promise<string>;
  GetSettings(): Promise<Settings>;
  History(arg0: HistoryFilter): Promise<HistoryPage>;
  ListAlerts(): Promise<AlertDestination[]>;
  ListIntegrations(): Promise<IntegrationView[]>;
  ListProviders(): Promise<ProviderView[]>;
  OpenDataFolder(): Promise<boolean>;
  OpenSupport(arg0: string): Promise<boolean>;
  RedirectURI(arg0: string, arg1: Record<string, string>): Promise<RedirectView>;
  RemoveAlert(arg0: string): Promise<AlertDestination>;
  RemoveIntegration(arg0: string): Promise<RemoveResult>;
  ReportProblem(arg0: string): Promise<string>;
  RetryStorage(): Promise<StorageView>;
  SaveSettings(arg0: Settings): Promise<Settings>;
  SetPaused(arg0: string, arg1: boolean): Promise<IntegrationView>;
  StartReauth(arg0: string): Promise<ReauthStart>;
  StartupNavigation(): Promise<Navigate>;
  Storage(): Promise<StorageView>;
  SubmitSecret(arg0: string, arg1: string): Promise<IntegrationView>;
  SupportSummary(arg0: string): Promise<string>;
  SystemLocale(): Promise<string>;
  TestAlert(arg0: string): Promise<Result>;
  TimeZone(): Promise<Zone>;
  UpdateIntegration(arg0: string, arg1: string, arg2: Record<string, string>): Promise<IntegrationView>;
}

export interface Events {
  'integration:changed': (payload: IntegrationView) => void;
  'integrations:changed': (payload: IntegrationView[]) => void;
  'integration:removed': (payload: Removed) => void;
  'integrations:reload': () => void;
  'reauth:progress': (payload: ReauthProgress) => void;
  'settings:changed': (payload: Settings) => void;
  'storage:changed': (payload: StorageView) => void;
  'navigate': (payload: Navigate) => void;
}
