import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import AlertsSettings from './AlertsSettings.svelte';
import App from '../App.svelte';
import { fakeBackend, fakeRuntime, sampleIntegrations } from '../lib/fakeBackend';
import { setLanguage } from '../lib/i18n.svelte';
import { store } from '../lib/state.svelte';

let backend: ReturnType<typeof fakeBackend>;
let rt: ReturnType<typeof fakeRuntime>;

beforeEach(() => {
  setLanguage('en');
  store.integrations = [];
  store.loaded = false;
  rt = fakeRuntime();
  backend = fakeBackend(structuredClone(sampleIntegrations), rt.emit);
  window.go = { main: { App: backend } };
  window.runtime = rt.runtime;
});
afterEach(cleanup);

describe('AlertsSettings', () => {
  it('adds a destination, sends a test and removes it; the URL is never shown again', async () => {
    render(AlertsSettings);
    await screen.findByTestId('alerts-empty');
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'Data team' } });
    await fireEvent.change(screen.getByLabelText('Format'), { target: { value: 'teams' } });
    const url = screen.getByLabelText('Webhook URL') as HTMLInputElement;
    expect(url.type).toBe('password');
    await fireEvent.input(url, { target: { value: 'https://example.webhook.office.com/hook' } });
    await fireEvent.submit(screen.getByTestId('alert-add'));
    const row = await screen.findByTestId('alert-Data team');
    expect(row.textContent).toContain('Microsoft Teams');
    expect(document.body.innerHTML).not.toContain('example.webhook.office.com');
    expect(backend.calls).toContain('AddAlert:Data team:teams');

    await fireEvent.click(screen.getByTestId('alert-test'));
    await waitFor(() => expect(backend.calls).toContain('TestAlert:d1'));
    await fireEvent.click(screen.getByTestId('alert-remove'));
    await screen.findByTestId('alerts-empty');
  });

  it('shows a refused URL next to the form and keeps what was typed', async () => {
    render(AlertsSettings);
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'ops' } });
    await fireEvent.input(screen.getByLabelText('Webhook URL'), { target: { value: 'http://example.com/x' } });
    await fireEvent.submit(screen.getByTestId('alert-add'));
    expect((await screen.findByRole('alert')).textContent).toContain('must start with https://');
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('ops');
  });

  it('says a failing destination is failing and that messages are kept', async () => {
    backend.setAlerts([{
      id: 'd1', label: 'ops', format: 'slack', createdAt: '2026-11-29T09:00:00Z', lastAttemptAt: '2026-11-29T09:05:00Z',
      lastDeliveredAt: '0001-01-01T00:00:00Z', lastStatus: 404, lastError: 'HTTP 404: no_service', failingSince: '2026-11-29T09:05:00Z', pending: 3,
    }]);
    render(AlertsSettings);
    const failing = await screen.findByTestId('alert-failing');
    expect(failing.textContent).toContain('HTTP 404: no_service');
    expect(screen.getByTestId('alert-ops').textContent).toContain('3 messages waiting');
  });
});

describe('a relink://open link', () => {
  it('opens the integration it names for repair', async () => {
    const id = sampleIntegrations.find((v) => v.needsAttention)!.id;
    backend.setNavigation({ view: 'integrations', integrationId: id, reauth: true });
    render(App);
    await screen.findByTestId('reauth-dialog');
  });

  it('while another repair is open, starts the linked one and ends the other', async () => {
    const oauth = sampleIntegrations.filter((v) => v.kind === 'oauth2');
    const [a, b] = [oauth[0], oauth[1]];
    render(App);
    await waitFor(() => expect(backend.calls).toContain('ListIntegrations'));
    rt.emit('navigate', { view: 'integrations', integrationId: a.id, reauth: true });
    await screen.findByTestId('reauth-waiting');
    rt.emit('navigate', { view: 'integrations', integrationId: b.id, reauth: true });
    await waitFor(() => expect(backend.calls).toContain(`StartReauth:${b.id}`));
    await waitFor(() => expect(backend.calls).toContain('CancelReauth:a1'));
    expect(screen.getByTestId('reauth-dialog').textContent).toContain(b.name);
  });

  it('ends an attempt that was still starting when another replaced it', async () => {
    const [a, b] = sampleIntegrations.filter((v) => v.kind === 'oauth2');
    // a's start is held until b's dialog has replaced it.
    const start = backend.StartReauth;
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let asked = false;
    backend.StartReauth = async (id) => {
      if (id === a.id) {
        asked = true;
        await held;
      }
      return start(id);
    };
    render(App);
    await waitFor(() => expect(backend.calls).toContain('ListIntegrations'));
    rt.emit('navigate', { view: 'integrations', integrationId: a.id, reauth: true });
    await waitFor(() => expect(asked).toBe(true));
    rt.emit('navigate', { view: 'integrations', integrationId: b.id, reauth: true });
    await waitFor(() => expect(backend.calls).toContain(`StartReauth:${b.id}`));
    release();
    // b's attempt is a1; a's, started late, is a2 and is ended at once.
    await waitFor(() => expect(backend.calls).toContain('CancelReauth:a2'));
    expect(backend.calls).not.toContain('CancelReauth:a1');
  });
});
