import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import StatusBadge from './StatusBadge.svelte';
import IntegrationRow from './IntegrationRow.svelte';
import IntegrationList from './IntegrationList.svelte';
import ReauthDialog from './ReauthDialog.svelte';
import AddDialog from './AddDialog.svelte';
import HistoryList from './HistoryList.svelte';
import HistoryView from './HistoryView.svelte';
import StorageBanner from './StorageBanner.svelte';
import DetailPanel from './DetailPanel.svelte';
import App from '../App.svelte';
import { fakeBackend, fakeRuntime, hostKeySample, sample, sampleIntegrations } from '../lib/fakeBackend';
import { bump, setLanguage } from '../lib/i18n.svelte';
import { store, subscribe } from '../lib/state.svelte';
import type { AddRequest, HistoryEvent, HistoryFilter, IntegrationView } from '../lib/types';

let backend: ReturnType<typeof fakeBackend>;
let rt: ReturnType<typeof fakeRuntime>;

function install(items: IntegrationView[] = structuredClone(sampleIntegrations)) {
  rt = fakeRuntime();
  backend = fakeBackend(items, rt.emit);
  window.go = { main: { App: backend } };
  window.runtime = rt.runtime;
}

beforeEach(() => {
  setLanguage('en');
  store.integrations = [];
  store.loaded = false;
  install();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const byId = (id: string) => structuredClone(sampleIntegrations.find((v) => v.id === id)!);
const noop = () => {};

describe('StatusBadge', () => {
  it.each([
    ['connected', 'Connected'],
    ['needs_reauth', 'Needs reauthorization'],
    ['degraded', 'Degraded'],
    ['expiring', 'Expiring soon'],
    ['checking', 'Checking…'],
  ] as const)('renders %s as an icon and a word', (status, text) => {
    render(StatusBadge, { status });
    const badge = screen.getByTestId('status-badge');
    expect(badge.textContent?.trim()).toBe(text);
    expect(badge.querySelector('svg')).toBeTruthy();
  });

  it('re-renders when the language changes', async () => {
    render(StatusBadge, { status: 'needs_reauth' });
    setLanguage('es');
    await tick();
    expect(screen.getByTestId('status-badge').textContent?.trim()).toBe('Requiere nueva autorización');
  });
});

describe('IntegrationRow', () => {
  it('starts reauthorization when the name is clicked', async () => {
    const onreauth = vi.fn();
    const item = byId('stripe-1');
    render(IntegrationRow, { item, onreauth, ondetails: noop });
    await fireEvent.click(screen.getByTestId('integration-name'));
    expect(onreauth).toHaveBeenCalledWith(item);
  });

  it.each([
    ['ga-1', true, 'The authorization token expired. Reauthorize to reconnect.'],
    ['shop-1', true, 'Missing permissions: read_products.'],
    ['xero-1', true, 'The authorization ends in 3 days.'],
    ['stripe-1', false, ''],
    ['meta-1', false, ''],
  ])('%s: Reauthorize shown %s, cause %j', (id, shown, cause) => {
    render(IntegrationRow, { item: byId(id), onreauth: noop, ondetails: noop });
    expect(!!screen.queryByTestId('reauthorize')).toBe(shown);
    expect(screen.queryByTestId('cause')?.textContent ?? '').toContain(cause);
    if (!cause) expect(screen.queryByTestId('cause')).toBeNull();
  });

  it.each([
    ['an admin must enable the API', { status: 'error', cause: 'account_changed', problem: { code: 'problem.api_disabled' } }, 'https://help.example/admin'],
    ['the OAuth client was deleted', { status: 'error', cause: 'local_problem', problem: { code: 'problem.oauth_client_invalid' } }, 'https://console.example/credentials'],
  ] as const)('%s: links to the fix, no reauthorize loop and no retry', async (_, state, helpUrl) => {
    const item = { ...byId('sf-1'), ...state, helpUrl } as IntegrationView;
    render(IntegrationRow, { item, onreauth: noop, ondetails: noop, oncheck: async () => {} });
    expect(screen.queryByTestId('reauthorize')).toBeNull();
    expect(screen.queryByTestId('retry')).toBeNull();
    await fireEvent.click(screen.getByTestId('fix-elsewhere'));
    expect(rt.opened).toEqual([helpUrl]);
  });

  it('details of a failure only an admin can fix link to it and offer no reauthorization', async () => {
    const item = { ...byId('sf-1'), status: 'error', cause: 'account_changed', problem: { code: 'problem.api_disabled' }, helpUrl: 'https://help.example/admin' } as IntegrationView;
    render(DetailPanel, { item, onclose: noop, onreauth: noop, onedit: noop, onremove: noop });
    expect(screen.queryByTestId('detail-reauth')).toBeNull();
    await fireEvent.click(screen.getByTestId('help-link'));
    expect(rt.opened).toEqual(['https://help.example/admin']);
  });

  it('says "Checking again…", never Connected, while a background failure awaits confirmation', async () => {
    const item = { ...byId('stripe-1'), status: 'checking' as const, severity: 20, rechecking: true };
    render(IntegrationRow, { item, onreauth: noop, ondetails: noop });
    const badge = screen.getByTestId('status-badge');
    expect(badge.textContent?.trim()).toBe('Checking again…');
    expect(badge.textContent).not.toContain('Connected');
    setLanguage('es');
    await tick();
    expect(screen.getByTestId('status-badge').textContent?.trim()).toBe('Comprobando de nuevo…');
  });

  it('does not repeat a problem that only restates the cause', () => {
    render(IntegrationRow, { item: byId('ga-1'), onreauth: noop, ondetails: noop });
    expect(screen.getByTestId('cause').textContent).not.toContain('The provider rejected the token');
  });

  it('offers a re-check, not a reauthorization, for a provider outage', async () => {
    const oncheck = vi.fn(async () => {});
    render(IntegrationRow, { item: byId('hub-1'), onreauth: noop, ondetails: noop, oncheck });
    expect(screen.queryByTestId('reauthorize')).toBeNull();
    await fireEvent.click(screen.getByTestId('retry'));
    expect(oncheck).toHaveBeenCalled();
  });

  it('shows relative times that move on every 30 s tick', async () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    vi.useFakeTimers({ now, toFake: ['Date'] });
    const item = sample('x', 'X', 'xero', 'Xero', 'expiring', '', {
      lastChecked: '2026-11-28T09:57:00Z',
      refreshExpiresAt: '2026-12-03T10:00:00Z',
    });
    render(IntegrationRow, { item, onreauth: noop, ondetails: noop });
    expect(screen.getByTestId('last-checked').textContent).toBe('3 min. ago');
    expect(screen.getByTestId('expires').textContent).toBe('in 5 days');
    vi.setSystemTime(now + 60 * 60_000);
    bump();
    await tick();
    expect(screen.getByTestId('last-checked').textContent).toBe('1 hr. ago');
    setLanguage('es');
    await tick();
    expect(screen.getByTestId('last-checked').textContent).toBe('hace 1 h');
    expect(screen.getByTestId('expires').textContent).toBe('dentro de 5 días');
  });

  it('says expired once the authorization has ended', () => {
    render(IntegrationRow, { item: byId('xero-1'), onreauth: noop, ondetails: noop });
    expect(screen.getByTestId('expires').textContent).toBe('in 3 days');
    cleanup();
    render(IntegrationRow, { item: { ...byId('xero-1'), refreshExpiresAt: '2020-01-01T00:00:00Z' }, onreauth: noop, ondetails: noop });
    expect(screen.getByTestId('expires').textContent).toBe('expired');
  });

  it('keeps long names whole in a tooltip', () => {
    const name = 'A very long integration name that cannot possibly fit in its column';
    render(IntegrationRow, { item: { ...byId('stripe-1'), name }, onreauth: noop, ondetails: noop });
    expect(screen.getByTestId('integration-name').textContent?.trim()).toBe(name);
    expect(screen.getByTestId('integration-name').getAttribute('title')).toContain(name);
  });
});

describe('IntegrationList', () => {
  it('groups SaaS and databases', () => {
    render(IntegrationList, { items: sampleIntegrations, onreauth: noop, ondetails: noop });
    const rows = (g: string) => within(screen.getByTestId(`group-${g}`)).getAllByTestId('integration-row');
    expect(rows('saas').length).toBe(7);
    expect(rows('database').map((r) => r.dataset.id)).toEqual(['pg-1', 'my-1']);
  });
});

describe('ReauthDialog, browser mode', () => {
  const item = byId('ga-1');
  const progress = (stage: string, extra: object = {}) => rt.emit('reauth:progress', { attemptId: 'a1', integrationId: 'ga-1', stage, ...extra });

  async function open() {
    const onclose = vi.fn();
    render(ReauthDialog, { item, onclose });
    await waitFor(() => screen.getByTestId('auth-url'));
    return onclose;
  }

  it('waits for the browser, shows the link and copies it', async () => {
    await open();
    expect(screen.getByTestId('reauth-waiting').textContent).toContain('Continue in your browser');
    const url = (screen.getByTestId('auth-url') as HTMLInputElement).value;
    expect(url).toMatch(/^https:\/\/accounts\.example\.com\//);
    await fireEvent.click(screen.getByTestId('copy-url'));
    expect(rt.copied).toEqual([url]);
    expect(screen.getByTestId('copy-url').textContent?.trim()).toBe('Copied');
  });

  it('says so when the browser could not be opened', async () => {
    await open();
    progress('waiting', { browserFailed: true });
    await tick();
    expect(screen.getByTestId('browser-failed')).toBeTruthy();
    expect(screen.getByTestId('auth-url')).toBeTruthy();
  });

  it('cancels the attempt', async () => {
    const onclose = await open();
    await fireEvent.click(screen.getByTestId('reauth-cancel'));
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(backend.calls).toContain('CancelReauth:a1');
  });

  it('asks before replacing the account, then succeeds', async () => {
    await open();
    progress('confirm_account', { account: 'new@example.com', previousAccount: 'ana@example.com' });
    await tick();
    expect(screen.getByTestId('confirm-account').textContent).toBe(
      'You authorized new@example.com, but this integration used ana@example.com. Replace the account?',
    );
    expect(document.activeElement).toBe(screen.getByTestId('confirm-keep'));
    await fireEvent.click(screen.getByTestId('confirm-replace'));
    expect(backend.calls).toContain('ConfirmAccount:a1:true');
    await waitFor(() => screen.getByTestId('reauth-exchanging'));
    progress('done', { account: 'new@example.com' });
    await tick();
    expect(screen.getByTestId('reauth-done').textContent).toContain('“Marketing GA4” is connected as new@example.com.');
    expect(document.activeElement).toBe(screen.getByTestId('reauth-close'));
  });

  it('shows a failure as a sentence and can try again', async () => {
    await open();
    progress('failed', { problem: { code: 'error.oauth_access_denied' } });
    await tick();
    expect(screen.getByTestId('reauth-error').textContent).toContain('Authorization was denied in the browser.');
    await fireEvent.click(screen.getByTestId('reauth-retry'));
    await waitFor(() => screen.getByTestId('auth-url'));
    expect(backend.calls.filter((c) => c === 'StartReauth:ga-1').length).toBe(2);
  });

  it('ignores progress of other integrations', async () => {
    await open();
    rt.emit('reauth:progress', { attemptId: 'zz', integrationId: 'sf-1', stage: 'failed' });
    await tick();
    expect(screen.queryByTestId('reauth-error')).toBeNull();
  });
});

describe('ReauthDialog, secret mode', () => {
  it('asks for a new key, shows a rejection next to the field, then saves a good one', async () => {
    const item = byId('stripe-1');
    render(ReauthDialog, { item, onclose: noop });
    await waitFor(() => screen.getByTestId('secret-form'));
    const input = screen.getByTestId('field-api_key') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(document.activeElement).toBe(input);
    await fireEvent.click(screen.getByTestId('reveal-api_key'));
    expect(input.type).toBe('text');
    await fireEvent.click(screen.getByTestId('docs-link'));
    expect(rt.opened).toEqual(['https://dashboard.stripe.com/apikeys']);

    await fireEvent.submit(screen.getByTestId('secret-form'));
    expect(screen.getByTestId('field-error-api_key').textContent).toBe('API key is required.');

    await fireEvent.input(input, { target: { value: 'wrong' } });
    await fireEvent.submit(screen.getByTestId('secret-form'));
    await waitFor(() => expect(screen.getByTestId('field-error-api_key').textContent).toBe('The provider rejected the API key: it was rotated, revoked or has expired. Enter a new key.'));

    await fireEvent.input(input, { target: { value: 'sk_test_good' } });
    await fireEvent.submit(screen.getByTestId('secret-form'));
    await waitFor(() => screen.getByTestId('reauth-done'));
    expect(backend.calls.filter((c) => c.startsWith('SubmitSecret')).length).toBe(2);
  });

  it('asks a database for its password', async () => {
    render(ReauthDialog, { item: byId('pg-1'), onclose: noop });
    await waitFor(() => screen.getByTestId('field-password'));
    expect(screen.getByTestId('secret-form').textContent).toContain('Enter the database password.');
  });
});

describe('AddDialog', () => {
  async function choose(id: string, onadded = vi.fn()) {
    render(AddDialog, { onclose: noop, onadded });
    await waitFor(() => screen.getByTestId(`provider-${id}`));
    await fireEvent.click(screen.getByTestId(`provider-${id}`));
    return onadded;
  }
  const type = (key: string, value: string) => fireEvent.input(screen.getByTestId(`field-${key}`), { target: { value } });
  const lastRequest = () => backend.requests[backend.requests.length - 1] as AddRequest;

  it('groups providers and finds them by search', async () => {
    render(AddDialog, { onclose: noop, onadded: noop });
    await waitFor(() => screen.getByTestId('provider-stripe'));
    await fireEvent.input(screen.getByTestId('provider-search'), { target: { value: 'postg' } });
    expect(screen.queryByTestId('provider-stripe')).toBeNull();
    await fireEvent.keyDown(screen.getByTestId('provider-search'), { key: 'Enter' });
    expect(screen.getByTestId('add-form').textContent).toContain('PostgreSQL');
  });

  it('validates fields next to them and never sends the secret as a setting', async () => {
    const onadded = await choose('custom-api-key');
    await type('name', '');
    await fireEvent.submit(screen.getByTestId('add-form'));
    expect(screen.getByTestId('field-error-name').textContent).toBe('Give the integration a name.');
    expect(screen.getByTestId('field-error-test_url').textContent).toBe('Test URL is required.');
    expect(screen.getByTestId('field-error-api_key').textContent).toBe('API key is required.');
    expect(backend.requests).toEqual([]);

    await type('name', 'Reporting API');
    await type('test_url', 'http://example.com/me');
    await fireEvent.submit(screen.getByTestId('add-form'));
    expect(screen.getByTestId('field-error-test_url').textContent).toContain('https://');

    await type('test_url', 'http://127.0.0.1:9/me');
    await type('api_key', 'sekrit-key');
    await fireEvent.submit(screen.getByTestId('add-form'));
    await waitFor(() => expect(onadded).toHaveBeenCalled());
    expect(lastRequest()).toEqual({
      provider: 'custom-api-key',
      name: 'Reporting API',
      settings: { test_url: 'http://127.0.0.1:9/me', header_name: 'Authorization' },
      secret: 'sekrit-key',
      secrets: {},
    });
  });

  it('shows a rejected key next to the key field', async () => {
    await choose('stripe');
    await type('api_key', 'wrong');
    await fireEvent.submit(screen.getByTestId('add-form'));
    await waitFor(() => expect(screen.getByTestId('field-error-api_key').textContent).toBe('The provider rejected the API key: it was rotated, revoked or has expired. Enter a new key.'));
    expect(screen.queryByTestId('form-error')).toBeNull();
  });

  it('sends a database password as the secret and the SSH key beside it', async () => {
    await choose('postgres');
    await type('host', 'db.internal');
    await type('database', 'analytics');
    await type('user', 'reader');
    await type('password', 'pw-123');
    const sshKey = screen.getByTestId('field-ssh_key') as HTMLTextAreaElement;
    expect(sshKey.tagName).toBe('TEXTAREA');
    expect(sshKey.classList.contains('masked')).toBe(true);
    await type('ssh_key', 'KEY LINE 1\nKEY LINE 2');
    await fireEvent.submit(screen.getByTestId('add-form'));
    await waitFor(() => expect(backend.requests.length).toBe(1));
    expect(lastRequest()).toMatchObject({
      secret: 'pw-123',
      secrets: { ssh_key: 'KEY LINE 1\nKEY LINE 2' },
      settings: { host: 'db.internal', port: '5432', database: 'analytics', user: 'reader', tls_mode: 'prefer' },
    });
  });

  it('edits name and settings, never a secret', async () => {
    const item = { ...byId('stripe-1'), provider: 'custom-api-key', settings: { test_url: 'https://api.example.com/me', header_name: 'Authorization' } };
    const onadded = vi.fn();
    render(AddDialog, { onclose: noop, onadded, editing: item });
    await waitFor(() => screen.getByTestId('add-form'));
    expect(screen.queryByTestId('field-api_key')).toBeNull();
    expect((screen.getByTestId('field-test_url') as HTMLInputElement).value).toBe('https://api.example.com/me');
    await type('name', 'Payments API');
    await type('test_url', 'https://api.example.com/v2/me');
    await fireEvent.submit(screen.getByTestId('add-form'));
    await waitFor(() => expect(onadded).toHaveBeenCalled());
    expect(backend.calls).toContain(
      'UpdateIntegration:stripe-1:Payments API:{"test_url":"https://api.example.com/v2/me","header_name":"Authorization"}',
    );
  });

  it('hands an OAuth integration on to authorization', async () => {
    const onadded = await choose('google-analytics');
    await type('client_id', 'abc.apps.googleusercontent.com');
    expect(screen.getByTestId('add-submit').textContent?.trim()).toBe('Add and authorize');
    await fireEvent.submit(screen.getByTestId('add-form'));
    await waitFor(() => expect(onadded).toHaveBeenCalled());
    expect(onadded.mock.calls[0][0].kind).toBe('oauth2');
    expect(lastRequest().secret).toBe('');
  });
});

describe('HistoryList', () => {
  const ev = (id: number, extra: Partial<HistoryEvent>): HistoryEvent => ({
    id, time: '2026-11-28T09:57:00Z', integrationId: 'ga-1', integration: 'Marketing GA4', kind: 'check', ...extra,
  });

  it('says what happened in words, leaving out sentences whose params were not kept', () => {
    // "events" is also a mount option, so the props go under props.
    render(HistoryList, {
      props: {
        events: [
          ev(4, { kind: 'status_change', oldStatus: 'connected', newStatus: 'needs_reauth', cause: 'token_expired', message: 'problem.token_expired' }),
          ev(3, { kind: 'check', newStatus: 'degraded', message: 'problem.missing_scopes' }),
          ev(2, { kind: 'settings_change', detail: 'name,test_url' }),
          ev(1, { kind: 'reauthorize', newStatus: 'connected', account: 'ana@example.com', message: 'reauthorize.ok' }),
          ev(0, { kind: 'check', newStatus: 'degraded', message: 'problem.db_privileges', params: { privileges: 'SELECT on public.orders' } }),
        ],
      },
    });
    const items = screen.getAllByTestId('history-event').map((li) => li.textContent?.replace(/\s+/g, ' ').trim());
    expect(items[0]).toContain('Status change Connected → Needs reauthorization token expired The provider rejected the token: it expired.');
    expect(items[1]).not.toContain('{scopes}');
    expect(items[4]).toContain('The database user lacks privileges: SELECT on public.orders.');
    expect(items[2]).toContain('Changed: Name, Test URL');
    expect(items[3]).toContain('Authorized as ana@example.com');
  });

  it('has an empty state', () => {
    render(HistoryList, { props: { events: [] } });
    expect(screen.getByTestId('history-empty').textContent).toBe('No events match.');
  });
});

describe('HistoryView', () => {
  it('filters, pages with Load more and exports', async () => {
    const seen: HistoryFilter[] = [];
    const history = backend.History;
    backend.History = async (f) => (seen.push(f), history({ ...f, limit: 5 }));
    store.integrations = structuredClone(sampleIntegrations);
    render(HistoryView);
    await waitFor(() => expect(screen.getAllByTestId('history-event').length).toBe(5));
    expect(seen[0].since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await fireEvent.click(screen.getByTestId('load-more'));
    await waitFor(() => expect(screen.getAllByTestId('history-event').length).toBe(10));
    expect(seen[1].beforeId).toBe((await history({ ...seen[0], limit: 5 })).nextBeforeId);

    await fireEvent.change(screen.getByTestId('history-integration'), { target: { value: 'ga-1' } });
    await fireEvent.change(screen.getByTestId('history-range'), { target: { value: 'all' } });
    await waitFor(() => expect(seen[seen.length - 1]).toMatchObject({ integrationId: 'ga-1' }));
    expect(seen[seen.length - 1].since).toBeUndefined();
    await fireEvent.click(screen.getByTestId('export-csv'));
    await waitFor(() => expect(store.toasts.map((x) => x.text)).toContain('History exported to /home/ana/relink-history.csv'));
  });
});

describe('StorageBanner', () => {
  const path = '/home/ana/.local/share/relink/relink.db';
  // The app keeps store.storage live; here the test does.
  let off: () => void;
  beforeEach(() => {
    store.storage = undefined;
    off = subscribe();
  });
  afterEach(() => off());
  it('shows nothing while the data can be saved', async () => {
    render(StorageBanner);
    await tick();
    expect(screen.queryByTestId('storage-problem')).toBeNull();
  });

  it.each([
    [true, { code: 'error.db_newer_schema', params: { found: '9', supported: '3' } }, 'Your data is open read-only', 'schema 9, this one knows 3'],
    [false, { code: 'error.db_disk_full' }, 'Relink can’t save right now', 'The disk is full'],
  ])('read-only %s: says why and what happens meanwhile', async (readOnly, p, title, reason) => {
    render(StorageBanner);
    backend.setStorage({ readOnly, problem: p, path });
    await tick();
    const banner = screen.getByTestId('storage-problem');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(banner.textContent).toContain(title);
    expect(banner.textContent).toContain(reason);
  });

  it('Try again asks the backend and the banner goes when it recovered', async () => {
    render(StorageBanner);
    backend.setStorage({ readOnly: true, problem: { code: 'error.db_read_only', params: { path } }, path }, { readOnly: false, path });
    await tick();
    await fireEvent.click(screen.getByTestId('storage-retry'));
    await waitFor(() => expect(screen.queryByTestId('storage-problem')).toBeNull());
    expect(backend.calls).toContain('RetryStorage');
    expect(store.toasts.map((x) => x.text)).toContain('Relink can save again.');
  });

  it('Open data folder asks the backend', async () => {
    render(StorageBanner);
    backend.setStorage({ readOnly: false, problem: { code: 'error.db_disk_full' }, path });
    await tick();
    await fireEvent.click(screen.getByTestId('storage-open-folder'));
    expect(backend.calls).toContain('OpenDataFolder');
  });

  it('a damaged file kept aside is a notice the user can close, in Spanish too', async () => {
    setLanguage('es');
    render(StorageBanner);
    backend.setStorage({ readOnly: false, notice: { code: 'error.db_quarantined', params: { path: path + '.corrupt-1' } }, path });
    await tick();
    const notice = screen.getByTestId('storage-notice');
    expect(notice.textContent).toContain('Relink la guardó en ' + path + '.corrupt-1');
    await fireEvent.click(within(notice).getByRole('button'));
    expect(screen.queryByTestId('storage-notice')).toBeNull();
  });
});

describe('App', () => {
  it('read-only data disables adding and checking, and says why', async () => {
    backend.setStorage({ readOnly: true, problem: { code: 'error.db_disk_full' }, path: '/data/relink.db' });
    render(App);
    await waitFor(() => expect(screen.getByTestId('storage-problem').textContent).toContain('The disk is full'));
    expect((screen.getByTestId('add') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('check-all') as HTMLButtonElement).disabled).toBe(true);
    rt.emit('storage:changed', { readOnly: false, path: '/data/relink.db' });
    await waitFor(() => expect((screen.getByTestId('add') as HTMLButtonElement).disabled).toBe(false));
    expect(screen.queryByTestId('storage-problem')).toBeNull();
  });

  async function start() {
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('integration-row').length).toBe(9));
  }

  it('summarises, searches and filters the list', async () => {
    await start();
    expect(screen.getByTestId('summary').textContent).toBe(
      '2 need reauthorization · 2 with errors · 1 degraded · 1 expiring soon · 1 paused · 2 healthy',
    );
    await fireEvent.input(screen.getByTestId('search'), { target: { value: 'acme' } });
    expect(screen.getAllByTestId('integration-row').map((r) => r.dataset.id)).toEqual(['sf-1', 'shop-1', 'stripe-1']);
    await fireEvent.input(screen.getByTestId('search'), { target: { value: 'zzz' } });
    expect(screen.getByTestId('no-match')).toBeTruthy();
    // The list's own clear button: WebKit's is hidden (app.css).
    await fireEvent.click(screen.getByTestId('clear-search'));
    expect((screen.getByTestId('search') as HTMLInputElement).value).toBe('');
    expect(document.activeElement).toBe(screen.getByTestId('search'));
    expect(screen.getAllByTestId('integration-row').length).toBe(9);
    expect(screen.queryByTestId('clear-search')).toBeNull();
    await fireEvent.change(screen.getByTestId('status-filter'), { target: { value: 'error' } });
    expect(screen.getAllByTestId('integration-row').map((r) => r.dataset.id)).toEqual(['hub-1', 'my-1']);
  });

  it('leads an empty list to Add', async () => {
    install([]);
    render(App);
    await waitFor(() => screen.getByTestId('empty'));
    await fireEvent.click(screen.getByTestId('add-first'));
    expect(screen.getByTestId('add-dialog')).toBeTruthy();
  });

  it('switches to Spanish from Settings without a restart', async () => {
    await start();
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => screen.getByTestId('language'));
    await fireEvent.change(screen.getByTestId('language'), { target: { value: 'es' } });
    await waitFor(() => expect(screen.getByTestId('nav-integrations').textContent?.trim()).toBe('Integraciones'));
    await fireEvent.click(screen.getByTestId('nav-integrations'));
    expect(screen.getByTestId('summary').textContent).toBe(
      '2 requieren nueva autorización · 2 con errores · 1 degradada · 1 caduca pronto · 1 en pausa · 2 correctas',
    );
    const ga = screen.getAllByTestId('integration-row').find((r) => r.dataset.id === 'ga-1')!;
    expect(within(ga).getByTestId('cause').textContent).toContain('El token de autenticación caducó. Vuelve a autorizar para reconectar.');
    expect(document.documentElement.lang).toBe('es');
  });

  it('follows the system language when none is chosen', async () => {
    backend.SystemLocale = async () => 'es_ES.UTF-8';
    await start();
    expect(screen.getByTestId('nav-history').textContent?.trim()).toBe('Historial');
  });

  it('opens a reauthorization when the tray asks', async () => {
    await start();
    rt.emit('navigate', { view: 'integrations', integrationId: 'sf-1', reauth: true });
    await waitFor(() => screen.getByTestId('reauth-dialog'));
    expect(screen.getByTestId('reauth-dialog').textContent).toContain('Reauthorize Salesforce (prod)');
  });

  it('opens the details, not a reauthorization, when new credentials cannot help', async () => {
    await start();
    rt.emit('navigate', { view: 'integrations', integrationId: 'hub-1', reauth: true });
    await waitFor(() => screen.getByTestId('detail-panel'));
    expect(screen.queryByTestId('reauth-dialog')).toBeNull();
  });

  it('finds with Ctrl+F', async () => {
    await start();
    await fireEvent.keyDown(window, { key: 'f', ctrlKey: true });
    expect(document.activeElement).toBe(screen.getByTestId('search'));
  });

  it('applies live updates from the backend', async () => {
    await start();
    rt.emit('integrations:changed', [{ ...byId('ga-1'), status: 'connected', severity: 0, cause: '', problem: undefined, needsAttention: false }]);
    const row = (id: string) => screen.getAllByTestId('integration-row').find((r) => r.dataset.id === id);
    // Applied on the next frame, not at once.
    expect(row('ga-1')!.dataset.status).toBe('needs_reauth');
    await waitFor(() => expect(row('ga-1')!.dataset.status).toBe('connected'));
    rt.emit('integration:removed', { id: 'ga-1' });
    await tick();
    expect(screen.getAllByTestId('integration-row').length).toBe(8);
  });

  it('reloads the list when the language changes: its name keys are in the old order', async () => {
    await start();
    const lists = () => backend.calls.filter((c) => c === 'ListIntegrations').length;
    const before = lists();
    const settings = await backend.GetSettings();
    rt.emit('settings:changed', { ...settings, language: 'en' });
    await tick();
    expect(lists()).toBe(before);
    rt.emit('settings:changed', { ...settings, language: 'es' });
    await waitFor(() => expect(lists()).toBe(before + 1));
  });

  it('removes an integration after confirmation', async () => {
    await start();
    const row = screen.getAllByTestId('integration-row').find((r) => r.dataset.id === 'pg-1')!;
    await fireEvent.click(within(row).getByTestId('details'));
    await fireEvent.click(screen.getByTestId('detail-remove'));
    expect(screen.getByTestId('remove-dialog').textContent).toContain('deletes its keychain items');
    await fireEvent.click(screen.getByTestId('remove-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('integration-row').length).toBe(8));
    expect(backend.calls).toContain('RemoveIntegration:pg-1');
    expect(screen.getByTestId('toasts').textContent).toContain('Removed “Warehouse” and revoked its tokens at the provider.');
  });

  it('says plainly when removal could not revoke access at the provider, and where to revoke it', async () => {
    backend.RemoveIntegration = async () => ({
      revoked: false,
      problem: { code: 'error.network' },
      revokeUrl: 'https://myaccount.google.com/connections',
    });
    await start();
    const row = screen.getAllByTestId('integration-row').find((r) => r.dataset.id === 'ga-1')!;
    await fireEvent.click(within(row).getByTestId('details'));
    await fireEvent.click(screen.getByTestId('detail-remove'));
    await fireEvent.click(screen.getByTestId('remove-confirm'));
    await waitFor(() => expect(screen.getByTestId('toasts').textContent).toContain('access was NOT revoked at the provider'));
    expect(screen.getByTestId('toasts').textContent).toContain('Revoke it yourself at https://myaccount.google.com/connections');
  });

  it('shows scopes and history in the detail panel', async () => {
    await start();
    const row = screen.getAllByTestId('integration-row').find((r) => r.dataset.id === 'shop-1')!;
    await fireEvent.click(within(row).getByTestId('details'));
    const panel = screen.getByTestId('detail-panel');
    expect(within(panel).getByTestId('scopes').textContent).toMatch(/read_products\s*missing/);
    await waitFor(() => expect(within(panel).getAllByTestId('history-event').length).toBeGreaterThan(0));
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('detail-panel')).toBeNull();
  });
});

describe('HostKeyRepair (detail panel)', () => {
  beforeEach(() => install(structuredClone([...sampleIntegrations, hostKeySample])));
  it('shows both fingerprints and accepts only after confirming, sending the key shown', async () => {
    const item = structuredClone(hostKeySample);
    const { default: DetailPanel } = await import('./DetailPanel.svelte');
    render(DetailPanel, { item, onclose: noop, onreauth: noop, onedit: noop, onremove: noop });
    const block = screen.getByTestId('host-key');
    expect(within(block).getByTestId('host-key-old').textContent).toBe(item.problem!.params!.old);
    expect(within(block).getByTestId('host-key-new').textContent).toBe(item.problem!.params!.new);
    expect(block.textContent).toContain('someone may be intercepting');

    await fireEvent.click(screen.getByTestId('host-key-accept'));
    const dialog = screen.getByTestId('host-key-dialog');
    expect(within(dialog).getByTestId('host-key-confirm-fingerprint').textContent).toBe(item.problem!.params!.new);
    await fireEvent.click(within(dialog).getByText('Cancel'));
    expect(backend.calls.some((c) => c.startsWith('AcceptHostKey'))).toBe(false);

    await fireEvent.click(screen.getByTestId('host-key-accept'));
    await fireEvent.click(screen.getByTestId('host-key-confirm'));
    await waitFor(() => expect(backend.calls).toContain(`AcceptHostKey:pg-ssh:${item.problem!.params!.new}`));
    await waitFor(() => expect(screen.queryByTestId('host-key-dialog')).toBeNull());
  });

  it('keeps the dialog open with the reason when the backend refuses', async () => {
    const item = structuredClone(hostKeySample);
    item.problem!.params!.new = 'SHA256:' + 'B'.repeat(43);
    const { default: DetailPanel } = await import('./DetailPanel.svelte');
    render(DetailPanel, { item, onclose: noop, onreauth: noop, onedit: noop, onremove: noop });
    await fireEvent.click(screen.getByTestId('host-key-accept'));
    await fireEvent.click(screen.getByTestId('host-key-confirm'));
    const err = await screen.findByTestId('host-key-error');
    expect(err.textContent).toContain('Nothing was changed');
    expect(screen.getByTestId('host-key-dialog')).toBeTruthy();
  });

  it('is not shown for other problems', async () => {
    const { default: DetailPanel } = await import('./DetailPanel.svelte');
    render(DetailPanel, { item: byId('my-1'), onclose: noop, onreauth: noop, onedit: noop, onremove: noop });
    expect(screen.queryByTestId('host-key')).toBeNull();
  });
});

describe('UpdateCycle (detail panel)', () => {
  it("shows Commerce Intelligence's last completed update and where its own integrations are repaired", async () => {
    const { commerceSample } = await import('../lib/fakeBackend');
    const { default: DetailPanel } = await import('./DetailPanel.svelte');
    install(structuredClone([...sampleIntegrations, commerceSample]));
    render(DetailPanel, { item: structuredClone(commerceSample), onclose: noop, onreauth: noop, onedit: noop, onremove: noop });
    const dl = screen.getByTestId('last-update');
    expect(dl.textContent).toContain('Full Update');
    expect(screen.getByTestId('last-update-status').textContent).toContain('Completed Successfully');
    expect(screen.getByTestId('last-update-end').textContent).toContain('2025-12-09 03:29:03 EST');
    expect(screen.getByTestId('last-update-zone').textContent).toContain('EST, read as America/New_York');
    expect(screen.getByTestId('ci-integrations').textContent).toContain('Manage Data > Integrations');
    await fireEvent.click(screen.getByTestId('ci-integrations-link'));
  });

  it('says when no update was seen and is absent for other providers', async () => {
    const { commerceSample } = await import('../lib/fakeBackend');
    const { default: DetailPanel } = await import('./DetailPanel.svelte');
    const none = { ...structuredClone(commerceSample), lastUpdate: undefined };
    const { unmount } = render(DetailPanel, { item: none, onclose: noop, onreauth: noop, onedit: noop, onremove: noop });
    expect(screen.getByTestId('last-update-none')).toBeTruthy();
    unmount();
    render(DetailPanel, { item: byId('stripe-1'), onclose: noop, onreauth: noop, onedit: noop, onremove: noop });
    expect(screen.queryByTestId('last-update')).toBeNull();
    expect(screen.queryByTestId('ci-integrations')).toBeNull();
  });
});
