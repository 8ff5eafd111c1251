import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import StatusBadge from './StatusBadge.svelte';
import IntegrationRow from './IntegrationRow.svelte';
import IntegrationList from './IntegrationList.svelte';
import ReauthDialog from './ReauthDialog.svelte';
import AddDialog from './AddDialog.svelte';
import { fakeBackend, sample, sampleIntegrations } from '../lib/fakeBackend';
import { setLanguage } from '../lib/i18n.svelte';

let backend: ReturnType<typeof fakeBackend>;
beforeEach(() => {
  setLanguage('en');
  backend = fakeBackend();
  window.go = { main: { App: backend } };
  window.runtime = { EventsOn: () => () => {}, BrowserOpenURL: () => {}, ClipboardSetText: async () => true };
});
afterEach(() => cleanup());

describe('StatusBadge', () => {
  it.each([
    ['connected', 'Connected'],
    ['needs_reauth', 'Needs reauthorization'],
    ['degraded', 'Degraded'],
  ] as const)('renders %s', (status, text) => {
    render(StatusBadge, { status });
    expect(screen.getByTestId('status-badge').textContent?.trim()).toBe(text);
  });

  it('speaks Spanish', () => {
    setLanguage('es');
    render(StatusBadge, { status: 'needs_reauth' });
    expect(screen.getByTestId('status-badge').textContent?.trim()).toBe('Requiere nueva autorización');
  });
});

describe('IntegrationRow', () => {
  it('starts reauthorization when the name is clicked', async () => {
    const onreauth = vi.fn();
    const item = sampleIntegrations[0];
    render(IntegrationRow, { item, onreauth, ondetails: vi.fn() });
    await fireEvent.click(screen.getByTestId('integration-name'));
    expect(onreauth).toHaveBeenCalledWith(item);
  });

  it('shows Reauthorize and the cause sentence only when broken', () => {
    render(IntegrationRow, { item: sampleIntegrations[0], onreauth: vi.fn(), ondetails: vi.fn() });
    expect(screen.getByTestId('reauthorize')).toBeTruthy();
    expect(screen.getByTestId('cause').textContent).toContain('Reauthorize to reconnect');
    cleanup();
    render(IntegrationRow, { item: sample('ok', 'Fine', 'stripe', 'Stripe', 'connected'), onreauth: vi.fn(), ondetails: vi.fn() });
    expect(screen.queryByTestId('reauthorize')).toBeNull();
    expect(screen.queryByTestId('cause')).toBeNull();
  });

  it('offers a re-check, not a reauthorization, for a provider outage', () => {
    render(IntegrationRow, { item: sampleIntegrations.find((v) => v.id === 'hub-1')!, onreauth: vi.fn(), ondetails: vi.fn(), oncheck: vi.fn() });
    expect(screen.queryByTestId('reauthorize')).toBeNull();
    expect(screen.getByTestId('retry')).toBeTruthy();
  });

  it('shows the last check relative to now', () => {
    render(IntegrationRow, { item: sampleIntegrations[0], onreauth: vi.fn(), ondetails: vi.fn() });
    expect(screen.getByTestId('integration-row').textContent).toContain('3 min. ago');
  });
});

describe('IntegrationList', () => {
  it('groups SaaS and databases', () => {
    render(IntegrationList, { items: sampleIntegrations, onreauth: vi.fn(), ondetails: vi.fn() });
    expect(screen.getByTestId('group-saas').querySelectorAll('[data-testid=integration-row]').length).toBe(7);
    expect(screen.getByTestId('group-database').querySelectorAll('[data-testid=integration-row]').length).toBe(2);
  });
});

describe('ReauthDialog', () => {
  it('asks for a new key and shows a rejection next to the field', async () => {
    const item = sample('k1', 'Key', 'stripe', 'Stripe', 'needs_reauth', 'token_expired', { kind: 'api_key' });
    backend = fakeBackend([item]);
    window.go = { main: { App: backend } };
    render(ReauthDialog, { item, onclose: vi.fn() });
    await waitFor(() => screen.getByTestId('secret-form'));
    const input = screen.getByTestId('field-api_key') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'wrong' } });
    await fireEvent.submit(screen.getByTestId('secret-form'));
    await waitFor(() => expect(screen.getByTestId('secret-form').textContent).toContain('rejected'));
    expect(input.type).toBe('password');
  });

  it('waits for the browser for OAuth and can be cancelled', async () => {
    const onclose = vi.fn();
    render(ReauthDialog, { item: sampleIntegrations[0], onclose });
    await waitFor(() => screen.getByTestId('reauth-waiting'));
    await fireEvent.click(screen.getByTestId('reauth-cancel'));
    await tick();
    expect(onclose).toHaveBeenCalled();
  });
});

describe('AddDialog', () => {
  it('validates fields and never sends the secret as a setting', async () => {
    const onadded = vi.fn();
    render(AddDialog, { onclose: vi.fn(), onadded });
    await waitFor(() => screen.getByTestId('provider-custom-api-key'));
    await fireEvent.click(screen.getByTestId('provider-custom-api-key'));
    await fireEvent.submit(screen.getByTestId('add-form'));
    expect(screen.getByTestId('field-error-test_url').textContent).toContain('required');
    await fireEvent.input(screen.getByTestId('field-test_url'), { target: { value: 'http://127.0.0.1:9/me' } });
    await fireEvent.input(screen.getByTestId('field-api_key'), { target: { value: 'sekrit-key' } });
    await fireEvent.submit(screen.getByTestId('add-form'));
    await waitFor(() => expect(onadded).toHaveBeenCalled());
    const call = backend.calls.find((c) => c.startsWith('AddIntegration:'))!;
    const req = JSON.parse(call.slice('AddIntegration:'.length));
    expect(req.secret).toBe('sekrit-key');
    expect(JSON.stringify(req.settings)).not.toContain('sekrit-key');
  });
});
