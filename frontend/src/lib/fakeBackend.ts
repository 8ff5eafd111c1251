// Sample data for previewing the UI in a plain browser (vite dev, never
// the production build) and for component tests: integrations in every
// status, a few providers, and a runtime whose events a test can emit.
import type { Backend } from './api';
import type { AlertDestination, Cause, HistoryEvent, Navigate, IntegrationView, ProviderView, ReauthProgress, RedirectView, Settings, Status, StorageView } from './types';

const now = Date.now();
const iso = (mins: number) => new Date(now + mins * 60_000).toISOString();
const severity: Record<Status, number> = { needs_reauth: 60, error: 50, degraded: 40, expiring: 30, checking: 20, paused: 10, connected: 0 };
const attention: Status[] = ['needs_reauth', 'error', 'degraded', 'expiring'];

// The preview's stand-in for Go's name key (integration.NameKeys): case
// ignored and numbers counted, enough for its ASCII names. Order across
// languages and accents is Go's, tested in order.test.ts.
const fakeNameKey = (name: string) => name.toLowerCase().replace(/\d+/g, (d) => d.padStart(12, '0'));

export function sample(
  id: string, name: string, provider: string, providerName: string, status: Status, cause: Cause = '', extra: Partial<IntegrationView> = {},
): IntegrationView {
  return {
    id, name, nameKey: fakeNameKey(name), provider, providerName, kind: 'oauth2', group: 'saas', icon: provider, settings: {}, account: 'ana@example.com',
    requiredScopes: [], grantedScopes: [], missingScopes: [], status, severity: severity[status], cause, paused: status === 'paused',
    lastChecked: iso(-3), lastHealthy: iso(-3), needsAttention: attention.includes(status), ...extra,
  };
}

const gaScope = 'https://www.googleapis.com/auth/analytics.readonly';

// Redirect policies as the catalogue has them (backend/catalog/providers).
const googleRedirect: RedirectView = {
  kind: 'loopback', register: 'http://127.0.0.1/callback', anyPort: true, accepts: ['loopback'],
  source: 'https://developers.google.com/identity/protocols/oauth2/native-app#redirect-uri_loopback',
};
const hubspotSource = 'https://developers.hubspot.com/changelog/2018-03-05-oauth2-redirect-uri-served-over-http-localhost';
const fixedRedirect = (uri: string): RedirectView => ({ kind: 'fixed', register: uri, accepts: ['fixed', 'https'], source: hubspotSource });

/** fakeRedirect mirrors backend/services/redirect.go for the preview and tests. */
function fakeRedirect(provider: string, settings: Record<string, string>): RedirectView {
  const uri = settings.redirect_uri?.trim() ?? '';
  if (provider === 'google-analytics') return googleRedirect;
  if (provider === 'shopify') {
    const source = 'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant';
    if (!uri) return { unset: true, accepts: ['https'], source };
    if (!uri.startsWith('https://')) throw JSON.stringify({ code: 'error.field_invalid', params: { field: 'redirect_uri', reason: 'redirect_fixed_not_accepted' } });
    return { kind: 'https', register: uri, relayTarget: `http://localhost:${settings.relay_port || '53682'}/callback`, accepts: ['https'], source };
  }
  return fixedRedirect(uri || 'http://localhost:53682/callback');
}

export const sampleIntegrations: IntegrationView[] = [
  sample('ga-1', 'Marketing GA4', 'google-analytics', 'Google Analytics 4', 'needs_reauth', 'token_expired', {
    problem: { code: 'problem.token_expired' }, lastHealthy: iso(-26 * 60), settings: { project_id: 'marketing-prod' },
    requiredScopes: [gaScope], grantedScopes: [gaScope], accessExpiresAt: iso(-25 * 60), helpUrl: 'https://support.google.com/analytics',
    redirect: googleRedirect,
  }),
  sample('sf-1', 'Salesforce (prod)', 'salesforce', 'Salesforce', 'needs_reauth', 'access_revoked', {
    account: 'admin@acme.com', problem: { code: 'problem.access_revoked' },
  }),
  sample('shop-1', 'Acme Store', 'shopify', 'Shopify', 'degraded', 'account_changed', {
    account: 'owner@acme.com', settings: { shop: 'acme-store' },
    requiredScopes: ['read_orders', 'read_products'], grantedScopes: ['read_orders'], missingScopes: ['read_products'],
    problem: { code: 'problem.missing_scopes', params: { scopes: 'read_products' } },
  }),
  sample('hub-1', 'HubSpot CRM', 'hubspot', 'HubSpot', 'error', 'provider_issue', {
    problem: { code: 'problem.provider_outage', params: { status: '503' } }, settings: { redirect_uri: 'http://localhost:53682/callback' },
    redirect: fixedRedirect('http://localhost:53682/callback'),
  }),
  sample('xero-1', 'Xero books', 'xero', 'Xero', 'expiring', '', { refreshExpiresAt: iso(3 * 24 * 60), accessExpiresAt: iso(25) }),
  sample('stripe-1', 'Stripe payments', 'stripe', 'Stripe', 'connected', '', {
    kind: 'api_key', reauthField: 'api_key', account: 'billing@acme.com', docsUrl: 'https://dashboard.stripe.com/apikeys',
  }),
  sample('meta-1', 'Meta Ads EU', 'meta-ads', 'Meta / Facebook Ads', 'paused', '', { icon: 'meta' }),
  sample('pg-1', 'Warehouse', 'postgres', 'PostgreSQL', 'connected', '', {
    kind: 'database', reauthField: 'password', group: 'database', account: 'reader', lastChecked: iso(-12), settings: { host: 'db.internal', port: '5432', database: 'analytics', user: 'reader' },
  }),
  sample('my-1', 'Shop DB', 'mysql', 'MySQL / MariaDB', 'error', 'local_problem', {
    kind: 'database', reauthField: 'password', group: 'database', account: 'reader@%', problem: { code: 'problem.connection_refused' },
  }),
];

// A database whose SSH bastion presents a new host key (kept out of
// sampleIntegrations, whose counts other tests assert).
export const hostKeySample = sample('pg-ssh', 'Orders replica', 'postgres', 'PostgreSQL', 'needs_reauth', '', {
  kind: 'database', reauthField: 'password', group: 'database', account: 'reader', settings: { host: '10.0.3.7', port: '5432', database: 'orders', user: 'reader', ssh_host: 'bastion.acme.example', ssh_user: 'relink' },
  problem: { code: 'problem.ssh_host_key_changed', params: { old: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8', new: 'SHA256:Q3pLc0kH1rVb8VnTn1r2b0eI3yqQ0dJ4cX9mUaZ7sW4' } },
});

// Commerce Intelligence with its last completed update (kept out of
// sampleIntegrations like hostKeySample).
export const commerceSample = sample('ci-1', 'Commerce Intelligence', 'commerce-intelligence', 'Adobe Commerce Intelligence', 'degraded', 'provider_issue', {
  kind: 'api_key', reauthField: 'api_key', icon: 'adobe', account: '194', settings: { ci_client_id: '194', stale_hours: '36' },
  problem: { code: 'problem.ci_update_stale', params: { end: '2025-12-09 03:29:03 EST', hours: '41', threshold: '36' } },
  lastUpdate: {
    type: 'Full Update', status: 'Completed Successfully', start: '2025-12-09 03:26:25', end: '2025-12-09 03:29:03', abbreviation: 'EST',
    zone: 'America/New_York', endAt: iso(-41 * 60), succeeded: true, fetchedAt: iso(-1),
  },
  integrationsUrl: 'https://experienceleague.adobe.com/docs/commerce-knowledge-base/kb/how-to/mbi-reauthenticating-integrations.html',
});

// Long enough to prove that names and accounts ellipsize, not overflow.
export const longSample = sample(
  'long-1', 'Salesforce EMEA Marketing Cloud — production replica (read-only reporting)', 'salesforce-sandbox', 'Salesforce (sandbox)', 'connected', '',
  { icon: 'salesforce', account: 'integration-service-account@very-long-company-domain.example.com' },
);

export const sampleProviders: ProviderView[] = [
  { id: 'google-analytics', name: 'Google Analytics 4', kind: 'oauth2', group: 'saas', icon: 'google-analytics', docsUrl: 'https://console.cloud.google.com/apis/credentials', fields: [
    { key: 'client_id', required: true, secret: false, kind: 'text' },
    { key: 'client_secret', required: false, secret: true, kind: 'password' },
    { key: 'publishing_status', required: true, secret: false, kind: 'select', options: ['production', 'testing'], default: 'production' },
  ], redirect: googleRedirect },
  { id: 'hubspot', name: 'HubSpot', kind: 'oauth2', group: 'saas', icon: 'hubspot', docsUrl: 'https://developers.hubspot.com/docs/guides/apps/public-apps/overview', fields: [
    { key: 'client_id', required: true, secret: false, kind: 'text' },
    { key: 'client_secret', required: true, secret: true, kind: 'password' },
    { key: 'redirect_uri', required: false, secret: false, kind: 'text', default: 'http://localhost:53682/callback' },
    { key: 'relay_port', required: false, secret: false, kind: 'number', placeholder: '53682' },
  ], redirect: fixedRedirect('http://localhost:53682/callback') },
  { id: 'shopify', name: 'Shopify', kind: 'oauth2', group: 'saas', icon: 'shopify', fields: [
    { key: 'shop', required: true, secret: false, kind: 'text', pattern: '[a-z0-9][a-z0-9-]{0,60}', placeholder: 'my-store' },
    { key: 'client_id', required: true, secret: false, kind: 'text' },
    { key: 'client_secret', required: true, secret: true, kind: 'password' },
    { key: 'redirect_uri', required: false, secret: false, kind: 'text', placeholder: 'https://example.com/relink/callback' },
    { key: 'relay_port', required: false, secret: false, kind: 'number', placeholder: '53682' },
  ], redirect: fakeRedirect('shopify', {}) },
  { id: 'stripe', name: 'Stripe', kind: 'api_key', group: 'saas', icon: 'stripe', docsUrl: 'https://dashboard.stripe.com/apikeys', fields: [
    { key: 'api_key', required: true, secret: true, kind: 'password' },
  ] },
  { id: 'postgres', name: 'PostgreSQL', kind: 'database', group: 'database', icon: 'postgres', fields: [
    { key: 'host', required: true, secret: false, kind: 'text' },
    { key: 'port', required: true, secret: false, kind: 'number', default: '5432' },
    { key: 'database', required: true, secret: false, kind: 'text' },
    { key: 'user', required: true, secret: false, kind: 'text' },
    { key: 'password', required: true, secret: true, kind: 'password' },
    { key: 'tls_mode', required: true, secret: false, kind: 'select', options: ['disable', 'prefer', 'require', 'verify-full'], default: 'prefer' },
    { key: 'ssh_key', required: false, secret: true, kind: 'textarea' },
  ] },
  { id: 'custom-api-key', name: 'Custom API key', kind: 'api_key', group: 'saas', icon: 'custom-key', fields: [
    { key: 'test_url', required: true, secret: false, kind: 'url' },
    { key: 'header_name', required: false, secret: false, kind: 'text', default: 'Authorization' },
    { key: 'api_key', required: true, secret: true, kind: 'password' },
  ] },
];

type Handler = (...data: unknown[]) => void;

/** fakeRuntime stands in for window.runtime; emit plays the backend's events. */
export function fakeRuntime() {
  const handlers = new Map<string, Set<Handler>>();
  const opened: string[] = [];
  const copied: string[] = [];
  return {
    opened,
    copied,
    emit(name: string, payload?: unknown) {
      handlers.get(name)?.forEach((h) => h(payload));
    },
    runtime: {
      EventsOn(name: string, cb: Handler) {
        if (!handlers.has(name)) handlers.set(name, new Set());
        handlers.get(name)!.add(cb);
        return () => handlers.get(name)?.delete(cb);
      },
      BrowserOpenURL: (url: string) => void opened.push(url),
      ClipboardSetText: async (text: string) => (copied.push(text), true),
    },
  };
}

function history(items: IntegrationView[]): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  let id = 200;
  for (const v of items) {
    out.push({ id: id--, time: v.lastChecked ?? iso(-3), integrationId: v.id, integration: v.name, kind: 'check', newStatus: v.status, cause: v.cause || undefined, message: v.problem?.code });
    if (v.status !== 'connected') {
      out.push({ id: id--, time: iso(-90), integrationId: v.id, integration: v.name, kind: 'status_change', oldStatus: 'connected', newStatus: v.status, cause: v.cause || undefined, message: v.problem?.code });
    }
    out.push({ id: id--, time: iso(-3 * 24 * 60), integrationId: v.id, integration: v.name, kind: 'reauthorize', newStatus: 'connected', account: v.account, message: 'reauthorize.ok' });
    out.push({ id: id--, time: iso(-30 * 24 * 60), integrationId: v.id, integration: v.name, kind: 'created', newStatus: 'connected' });
  }
  return out.sort((a, b) => b.id - a.id);
}

/**
 * fakeBackend implements every bound method over in-memory data. It
 * records method calls, and the AddRequests so tests can check where a
 * secret went; the secret "wrong" is rejected like a provider would.
 */
export function fakeBackend(items: IntegrationView[] = structuredClone(sampleIntegrations), emit: (name: string, payload?: unknown) => void = () => {}) {
  let settings: Settings = {
    language: '', notifications: true, closeToTray: true, openAtLogin: false, refreshMarginMinutes: 10, retentionDays: 365, checkIntervalMinutes: 15, monitoringPaused: false, metricsAddress: '', extraCAFile: '',
  };
  let alerts: AlertDestination[] = [];
  let nav: Navigate = { view: 'integrations' };
  let storage: StorageView = { readOnly: false, path: '/home/ana/.local/share/relink/relink.db' };
  let afterRetry: StorageView | undefined;
  const calls: string[] = [];
  const requests: unknown[] = [];
  let attempt = 0;
  const find = (id: string) => {
    const v = items.find((x) => x.id === id);
    if (!v) throw JSON.stringify({ code: 'error.integration_not_found', params: { ref: id } });
    return v;
  };
  const put = (v: IntegrationView) => {
    items = items.map((x) => (x.id === v.id ? v : x));
    emit('integrations:changed', [v]);
    return v;
  };
  const healthy = (v: IntegrationView): IntegrationView => ({
    ...v, status: 'connected', severity: 0, cause: '', problem: undefined, needsAttention: false, paused: false, missingScopes: [], lastChecked: new Date().toISOString(), lastHealthy: new Date().toISOString(),
  });
  const events = history(items);
  const backend: Backend = {
    ListIntegrations: async () => (calls.push('ListIntegrations'), items),
    ListProviders: async () => sampleProviders,
    RedirectURI: async (provider, st) => (calls.push(`RedirectURI:${provider}`), fakeRedirect(provider, st)),
    AddIntegration: async (req) => {
      calls.push('AddIntegration');
      requests.push(req);
      if (req.secret === 'wrong') throw JSON.stringify({ code: 'problem.api_key_rejected' });
      const p = sampleProviders.find((x) => x.id === req.provider);
      const kind = p?.kind ?? 'api_key';
      const v = sample(`new-${items.length}`, req.name, req.provider, p?.name ?? req.provider, kind === 'oauth2' ? 'needs_reauth' : 'connected', '', {
        kind, group: p?.group ?? 'saas', icon: p?.icon ?? req.provider, settings: req.settings,
        problem: kind === 'oauth2' ? { code: 'problem.not_authorized' } : undefined,
        redirect: kind === 'oauth2' ? fakeRedirect(req.provider, req.settings) : undefined,
        // Go names the provider's primary secret field.
        reauthField: kind === 'oauth2' ? undefined : p?.fields.find((f) => f.secret)?.key,
      });
      items = [...items, v];
      return v;
    },
    UpdateIntegration: async (id, name, s) => {
      calls.push(`UpdateIntegration:${id}:${name}:${JSON.stringify(s)}`);
      return put({ ...find(id), name, settings: s });
    },
    RemoveIntegration: async (id) => {
      calls.push(`RemoveIntegration:${id}`);
      items = items.filter((x) => x.id !== id);
      return { revoked: true };
    },
    StartReauth: async (id) => {
      calls.push(`StartReauth:${id}`);
      const v = find(id);
      if (v.kind !== 'oauth2') return { attemptId: `a${++attempt}`, mode: 'secret' };
      const url = `https://accounts.example.com/o/oauth2/auth?client_id=relink&state=s${attempt + 1}&code_challenge_method=S256`;
      return { attemptId: `a${++attempt}`, mode: 'browser', url };
    },
    CancelReauth: async (attemptId) => {
      calls.push(`CancelReauth:${attemptId}`);
      return true;
    },
    ConfirmAccount: async (attemptId, accept) => {
      calls.push(`ConfirmAccount:${attemptId}:${accept}`);
      return true;
    },
    SubmitSecret: async (id, secret) => {
      calls.push(`SubmitSecret:${id}`);
      if (secret === 'wrong') throw JSON.stringify({ code: 'problem.api_key_rejected' });
      return put(healthy(find(id)));
    },
    AcceptHostKey: async (id, fingerprint) => {
      calls.push(`AcceptHostKey:${id}:${fingerprint}`);
      const v = find(id);
      const shown = v.problem?.params?.new;
      if (fingerprint !== shown) throw JSON.stringify({ code: 'error.host_key_mismatch', params: { given: fingerprint, shown: shown ?? '' } });
      return put(healthy(v));
    },
    CheckNow: async (ids) => {
      calls.push(`CheckNow:${ids.join(',')}`);
      return items.filter((v) => !ids.length || ids.includes(v.id)).map((v) => put({ ...v, lastChecked: new Date().toISOString() }));
    },
    SetPaused: async (id, paused) => {
      const v = find(id);
      return put(paused ? { ...v, paused, status: 'paused', severity: severity.paused, needsAttention: false } : healthy(v));
    },
    History: async (f) => {
      const all = events.filter((e) => (!f.integrationId || e.integrationId === f.integrationId) && (!f.beforeId || e.id < f.beforeId));
      const page = all.slice(0, f.limit ?? 50);
      return { events: page, nextBeforeId: all.length > page.length ? page[page.length - 1].id : undefined };
    },
    ExportHistoryCSV: async () => '/home/ana/relink-history.csv',
    GetSettings: async () => settings,
    SaveSettings: async (s) => {
      settings = { ...s };
      emit('settings:changed', settings);
      return settings;
    },
    SystemLocale: async () => navigator.language,
    // No offsets: the page renders times with the browser's own local time.
    TimeZone: async () => ({ name: '', offsets: [] }),
    ReportProblem: async () => '/home/ana/relink-diagnostics.zip',
    SupportSummary: async (id) => `Relink support summary for ${find(id).name}`,
    OpenSupport: async () => true,
    Storage: async () => storage,
    RetryStorage: async () => {
      calls.push('RetryStorage');
      storage = afterRetry ?? storage;
      return storage;
    },
    OpenDataFolder: async () => (calls.push('OpenDataFolder'), true),
    StartupNavigation: async () => {
      const n = nav;
      nav = { view: 'integrations' };
      return n;
    },
    ListAlerts: async () => alerts,
    AddAlert: async (label, format, url) => {
      calls.push(`AddAlert:${label}:${format}`);
      requests.push({ label, format, url });
      if (!/^https:\/\//.test(url)) throw JSON.stringify({ code: 'error.alert_url_https', params: {} });
      const zero = '0001-01-01T00:00:00Z';
      const d: AlertDestination = {
        id: `d${alerts.length + 1}`, label, format: format as AlertDestination['format'], createdAt: new Date().toISOString(),
        lastAttemptAt: zero, lastDeliveredAt: zero, lastStatus: 0, failingSince: zero, pending: 0,
      };
      alerts = [...alerts, d];
      return d;
    },
    RemoveAlert: async (id) => {
      calls.push(`RemoveAlert:${id}`);
      const d = alerts.find((x) => x.id === id)!;
      alerts = alerts.filter((x) => x.id !== id);
      return d;
    },
    TestAlert: async (id) => (calls.push(`TestAlert:${id}`), { status: 200, body: 'ok' }),
  };
  // setStorage puts the data in a fault state (tests, screenshots); after
  // is what the next RetryStorage finds.
  // setAlerts and setNavigation stage destinations and a relink:// launch.
  const setAlerts = (ds: AlertDestination[]) => (alerts = ds);
  const setNavigation = (n: Navigate) => (nav = n);
  const setStorage = (s: StorageView, after?: StorageView) => {
    storage = s;
    afterRetry = after;
    emit('storage:changed', s);
  };
  return Object.assign(backend, { calls, requests, setStorage, setAlerts, setNavigation });
}

/** installFakeBackend wires the fake into window for the dev preview; ?empty starts with no integrations. */
export function installFakeBackend() {
  const rt = fakeRuntime();
  const items = new URLSearchParams(location.search).has('empty') ? [] : structuredClone([...sampleIntegrations, hostKeySample, commerceSample, longSample]);
  const backend = fakeBackend(items, rt.emit);
  window.go = { main: { App: backend } };
  window.runtime = rt.runtime;
  // The screenshot script drives reauthorization stages through this.
  (window as unknown as { relinkFake: unknown }).relinkFake = {
    progress: (p: ReauthProgress) => rt.emit('reauth:progress', p),
    emit: rt.emit,
    setAlerts: backend.setAlerts,
  };
}
