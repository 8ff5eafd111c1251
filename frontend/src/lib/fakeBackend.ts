// Sample data for previewing the UI in a plain browser (vite dev) and for
// component tests. Never loaded inside the app window.
import type { Backend } from './api';
import type { IntegrationView, ProviderView, Settings, Status, Cause } from './types';

const now = Date.now();
const iso = (mins: number) => new Date(now + mins * 60_000).toISOString();
const sev: Record<Status, number> = { needs_reauth: 60, error: 50, degraded: 40, expiring: 30, checking: 20, paused: 10, connected: 0 };

export function sample(id: string, name: string, provider: string, providerName: string, status: Status, cause: Cause = '', extra: Partial<IntegrationView> = {}): IntegrationView {
  return {
    id, name, provider, providerName, kind: 'oauth2', group: 'saas', icon: provider, settings: {}, account: 'ana@example.com',
    requiredScopes: [], grantedScopes: [], missingScopes: [], status, severity: sev[status], cause, paused: status === 'paused',
    lastChecked: iso(-3), lastHealthy: iso(-3), needsAttention: ['needs_reauth', 'error', 'degraded', 'expiring'].includes(status), ...extra,
  };
}

export const sampleIntegrations: IntegrationView[] = [
  sample('ga-1', 'Marketing GA4', 'google-analytics', 'Google Analytics 4', 'needs_reauth', 'token_expired', { problem: { code: 'problem.token_expired' } }),
  sample('sf-1', 'Salesforce (prod)', 'salesforce', 'Salesforce', 'needs_reauth', 'access_revoked', { account: 'admin@acme.com' }),
  sample('shop-1', 'Acme Store', 'shopify', 'Shopify', 'degraded', 'account_changed', {
    requiredScopes: ['read_orders', 'read_products'], grantedScopes: ['read_orders'], missingScopes: ['read_products'],
    problem: { code: 'problem.missing_scopes', params: { scopes: 'read_products' } },
  }),
  sample('hub-1', 'HubSpot CRM', 'hubspot', 'HubSpot', 'error', 'provider_issue', { problem: { code: 'problem.provider_outage', params: { status: '503' } } }),
  sample('xero-1', 'Xero books', 'xero', 'Xero', 'expiring', 'token_expired', { refreshExpiresAt: iso(3 * 24 * 60) }),
  sample('stripe-1', 'Stripe payments', 'stripe', 'Stripe', 'connected', '', { kind: 'api_key', account: 'billing@acme.com' }),
  sample('meta-1', 'Meta Ads EU', 'meta', 'Meta / Facebook Ads', 'paused'),
  sample('pg-1', 'Warehouse', 'postgres', 'PostgreSQL', 'connected', '', { kind: 'database', group: 'database', icon: 'postgres', account: 'reader', lastChecked: iso(-12) }),
  sample('my-1', 'Shop DB', 'mysql', 'MySQL / MariaDB', 'error', 'local_problem', { kind: 'database', group: 'database', icon: 'mysql', account: 'reader@%', problem: { code: 'problem.connection_refused' } }),
];

const providers: ProviderView[] = [
  { id: 'custom-api-key', name: 'Custom API key', kind: 'api_key', group: 'saas', icon: 'custom-key', fields: [
    { key: 'test_url', required: true, secret: false, kind: 'url' },
    { key: 'header_name', required: false, secret: false, kind: 'text', default: 'Authorization' },
    { key: 'api_key', required: true, secret: true, kind: 'password' },
  ] },
  { id: 'shopify', name: 'Shopify', kind: 'oauth2', group: 'saas', icon: 'shopify', fields: [
    { key: 'shop', required: true, secret: false, kind: 'text', pattern: '[a-z0-9][a-z0-9-]{0,60}', placeholder: 'my-store' },
    { key: 'client_id', required: true, secret: false, kind: 'text' },
    { key: 'client_secret', required: true, secret: true, kind: 'password' },
  ] },
  { id: 'postgres', name: 'PostgreSQL', kind: 'database', group: 'database', icon: 'postgres', fields: [
    { key: 'host', required: true, secret: false, kind: 'text' },
    { key: 'port', required: true, secret: false, kind: 'number', default: '5432' },
    { key: 'password', required: true, secret: true, kind: 'password' },
  ] },
];

export function fakeBackend(items: IntegrationView[] = structuredClone(sampleIntegrations)): Backend & { calls: string[] } {
  let settings: Settings = { language: '', notifications: true, closeToTray: true, openAtLogin: false, refreshMarginMinutes: 10, retentionDays: 365, checkIntervalMinutes: 15, monitoringPaused: false };
  const calls: string[] = [];
  const find = (id: string) => items.find((x) => x.id === id)!;
  return {
    calls,
    ListIntegrations: async () => (calls.push('ListIntegrations'), items),
    ListProviders: async () => providers,
    AddIntegration: async (req) => {
      calls.push(`AddIntegration:${JSON.stringify(req)}`);
      const v = sample(`new-${items.length}`, req.name, req.provider, req.provider, 'connected');
      items.push(v);
      return v;
    },
    UpdateIntegration: async (id, name) => ({ ...find(id), name }),
    RemoveIntegration: async (id) => {
      items = items.filter((x) => x.id !== id);
      return { revoked: true };
    },
    StartReauth: async (id) => (calls.push(`StartReauth:${id}`), { attemptId: 'a1', mode: find(id).kind === 'oauth2' ? 'browser' : 'secret' }),
    CancelReauth: async () => true,
    ConfirmAccount: async () => true,
    SubmitSecret: async (id, secret) => {
      calls.push(`SubmitSecret:${id}`);
      if (secret === 'wrong') throw JSON.stringify({ code: 'error.secret_rejected', params: { reason: 'HTTP 401' } });
      return { ...find(id), status: 'connected', severity: 0, cause: '', needsAttention: false };
    },
    CheckNow: async () => items,
    SetPaused: async (id, paused) => ({ ...find(id), paused, status: paused ? 'paused' : 'connected' }),
    History: async () => ({ events: [
      { id: 3, time: iso(-3), integrationId: 'ga-1', integration: 'Marketing GA4', kind: 'status_change', oldStatus: 'connected', newStatus: 'needs_reauth', cause: 'token_expired', message: 'problem.token_expired' },
      { id: 2, time: iso(-60), integrationId: 'ga-1', integration: 'Marketing GA4', kind: 'check', newStatus: 'connected' },
      { id: 1, time: iso(-600), integrationId: 'ga-1', integration: 'Marketing GA4', kind: 'reauthorize', newStatus: 'connected', account: 'ana@example.com' },
    ] }),
    ExportHistoryCSV: async () => '/home/ana/relink-history.csv',
    GetSettings: async () => settings,
    SaveSettings: async (s) => (settings = s),
    SystemLocale: async () => navigator.language,
    ReportProblem: async () => '/tmp/relink-diagnostics.zip',
    SupportSummary: async () => 'summary',
    OpenSupport: async () => true,
  };
}

export function installFakeBackend() {
  window.go = { main: { App: fakeBackend() } };
  window.runtime = { EventsOn: () => () => {}, BrowserOpenURL: () => {}, ClipboardSetText: async () => true };
}
