// Shapes the Go backend sends (see backend/services/views.go). Their field
// names and optionality are checked against Go by bridge.check.ts; the
// string unions here are narrower than Go's string types.
export type Kind = 'oauth2' | 'api_key' | 'database';
export type Status = 'connected' | 'expiring' | 'needs_reauth' | 'degraded' | 'error' | 'checking' | 'paused';
export type Cause = '' | 'token_expired' | 'access_revoked' | 'account_changed' | 'provider_issue' | 'local_problem' | 'app_problem';

export interface Problem {
  code: string;
  params?: Record<string, string>;
}

/** Whether Relink can save its data (backend/services/storage.go). */
export interface StorageView {
  problem?: Problem;
  readOnly: boolean;
  notice?: Problem;
  path: string;
}

export interface IntegrationView {
  id: string;
  name: string;
  /** Orders names the way people count in the user's language: compare as strings (Go's integration.NameKeys). */
  nameKey: string;
  provider: string;
  providerName: string;
  kind: Kind;
  group: 'saas' | 'database' | 'store';
  icon: string;
  settings: Record<string, string>;
  account: string;
  requiredScopes: string[];
  grantedScopes: string[];
  missingScopes: string[];
  status: Status;
  severity: number;
  cause: Cause;
  problem?: Problem;
  paused: boolean;
  lastChecked?: string;
  lastHealthy?: string;
  accessExpiresAt?: string;
  refreshExpiresAt?: string;
  docsUrl?: string;
  helpUrl?: string;
  redirect?: RedirectView;
  needsAttention: boolean;
  /** Commerce Intelligence's last completed data update. */
  lastUpdate?: UpdateCycleView;
  /** Where the provider's own integrations are reauthorized (not in Relink). */
  integrationsUrl?: string;
  /** A background check failed once and is being repeated before it is believed; status is then 'checking'. */
  rechecking?: boolean;
  /** The secret a reauthorization asks for ('api_key', 'password'); absent for OAuth. */
  reauthField?: string;
}

/** The last completed update, in the provider's words and zone (backend/health/updatecycle.go). */
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

export interface FieldView {
  key: string;
  required: boolean;
  secret: boolean;
  kind: 'text' | 'url' | 'number' | 'select' | 'password' | 'textarea';
  pattern?: string;
  placeholder?: string;
  default?: string;
  options?: string[];
}

export interface ProviderView {
  id: string;
  name: string;
  kind: Kind;
  group: 'saas' | 'database' | 'store';
  icon: string;
  description?: string;
  docsUrl?: string;
  fields: FieldView[];
  redirect?: RedirectView;
}

export interface AddRequest {
  provider: string;
  name: string;
  settings: Record<string, string>;
  /** The provider's main secret field: API key, database password or OAuth client secret. */
  secret?: string;
  /** Further secret fields by key, such as a database's SSH private key. */
  secrets?: Record<string, string>;
  /** Save an API key or database without contacting it; the first check says how it is. */
  noVerify?: boolean;
}

/** The redirect URI an OAuth integration uses (backend/services/redirect.go). */
export interface RedirectView {
  kind?: 'loopback' | 'fixed' | 'scheme' | 'https';
  /** What to register in the provider's app. */
  register?: string;
  /** The provider accepts any port on register. */
  anyPort?: boolean;
  /** Where an https redirect page must forward the query. */
  relayTarget?: string;
  /** Only registered addresses work and none is set yet. */
  unset?: boolean;
  accepts: string[];
  /** The provider's documentation of its redirect rules. */
  source: string;
}

export interface ReauthStart {
  attemptId: string;
  mode: 'browser' | 'secret';
  url?: string;
}

export interface ReauthProgress {
  attemptId: string;
  integrationId: string;
  stage: 'waiting' | 'confirm_account' | 'done' | 'failed' | 'canceled';
  url?: string;
  problem?: Problem;
  account?: string;
  previousAccount?: string;
  browserFailed?: boolean;
}

export interface HistoryFilter {
  integrationId?: string;
  statuses?: Status[];
  causes?: Cause[];
  kinds?: string[];
  since?: string;
  until?: string;
  beforeId?: number;
  limit?: number;
}

export interface HistoryEvent {
  id: number;
  time: string;
  integrationId: string;
  integration: string;
  kind: string;
  oldStatus?: Status;
  newStatus?: Status;
  cause?: Cause;
  message?: string;
  params?: Record<string, string>;
  detail?: string;
  account?: string;
}

export interface HistoryPage {
  events: HistoryEvent[];
  nextBeforeId?: number;
}

export interface Settings {
  language: string;
  notifications: boolean;
  closeToTray: boolean;
  openAtLogin: boolean;
  refreshMarginMinutes: number;
  retentionDays: number;
  checkIntervalMinutes: number;
  monitoringPaused: boolean;
  /** host:port on loopback where the app serves Prometheus metrics; '' = off. */
  metricsAddress: string;
  /** A PEM file of roots trusted beside the system's; '' = none. */
  extraCAFile: string;
}

export type AlertFormat = 'slack' | 'teams' | 'json';

/** A team alert destination; its webhook URL stays in the keychain. */
export interface AlertDestination {
  id: string;
  label: string;
  format: AlertFormat;
  createdAt: string;
  lastAttemptAt: string;
  lastDeliveredAt: string;
  lastStatus: number;
  lastError?: string;
  failingSince: string;
  pending: number;
}

export interface AlertTestResult {
  status: number;
  body?: string;
}

/** Zone is Go's local time zone: the UTC offset from each instant on (lib/zone.ts). */
export interface Zone {
  name: string;
  offsets: { from: number; seconds: number }[];
}

export interface Navigate {
  view: 'integrations' | 'history' | 'settings';
  integrationId?: string;
  reauth?: boolean;
}

export const STATUS_ORDER: Status[] = ['needs_reauth', 'error', 'degraded', 'expiring', 'checking', 'paused', 'connected'];
export const CAUSES: Cause[] = ['token_expired', 'access_revoked', 'account_changed', 'provider_issue', 'local_problem', 'app_problem'];
