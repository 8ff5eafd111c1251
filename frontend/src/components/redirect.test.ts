// The redirect URI to register is on screen before the browser opens.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import ReauthDialog from './ReauthDialog.svelte';
import AddDialog from './AddDialog.svelte';
import { fakeBackend, fakeRuntime, sampleIntegrations } from '../lib/fakeBackend';
import { setLanguage } from '../lib/i18n.svelte';
import type { IntegrationView } from '../lib/types';

let backend: ReturnType<typeof fakeBackend>;
let rt: ReturnType<typeof fakeRuntime>;
const noop = () => {};
const byId = (id: string) => structuredClone(sampleIntegrations.find((x) => x.id === id)!) as IntegrationView;

beforeEach(() => {
  setLanguage('en');
  rt = fakeRuntime();
  backend = fakeBackend(structuredClone(sampleIntegrations), rt.emit);
  window.go = { main: { App: backend } };
  window.runtime = rt.runtime;
});
afterEach(() => cleanup());

describe('AddDialog redirect URI', () => {
  async function choose(id: string) {
    render(AddDialog, { onclose: noop, onadded: noop });
    await waitFor(() => screen.getByTestId(`provider-${id}`));
    await fireEvent.click(screen.getByTestId(`provider-${id}`));
  }
  const uri = () => (screen.getByTestId('redirect-uri') as HTMLInputElement).value;

  it('shows the fixed address to register, follows the field and copies it', async () => {
    await choose('hubspot');
    await waitFor(() => expect(uri()).toBe('http://localhost:53682/callback'));
    expect(screen.getByTestId('redirect-note').textContent).toContain('Register exactly this address in your app at HubSpot');
    // Only an https relay page needs the relay port.
    expect(screen.queryByTestId('field-relay_port')).toBeNull();
    await fireEvent.input(screen.getByTestId('field-redirect_uri'), { target: { value: 'http://localhost:41000/callback' } });
    await waitFor(() => expect(uri()).toBe('http://localhost:41000/callback'));
    await fireEvent.click(screen.getByTestId('copy-redirect'));
    expect(rt.copied).toEqual(['http://localhost:41000/callback']);
    expect(screen.getByTestId('copy-redirect').textContent?.trim()).toBe('Copied');
  });

  it('says any port is accepted where the provider allows it', async () => {
    await choose('google-analytics');
    await waitFor(() => expect(uri()).toBe('http://127.0.0.1/callback'));
    expect(screen.getByTestId('redirect-note').textContent).toContain('accepts any port');
  });

  it('asks for an address when the provider accepts only registered https pages', async () => {
    await choose('shopify');
    await waitFor(() => screen.getByTestId('redirect-panel'));
    expect(screen.queryByTestId('redirect-uri')).toBeNull();
    expect(screen.getByTestId('redirect-note').textContent).toContain('Shopify accepts only addresses you register');
    await fireEvent.input(screen.getByTestId('field-redirect_uri'), { target: { value: 'https://example.com/relink' } });
    await waitFor(() => expect(uri()).toBe('https://example.com/relink'));
    expect(screen.getByTestId('field-relay_port')).toBeTruthy();
    expect(screen.getByTestId('redirect-note').textContent).toContain('forward the whole query string to http://localhost:53682/callback');
  });

  it('speaks Spanish', async () => {
    setLanguage('es');
    await choose('hubspot');
    await waitFor(() => screen.getByTestId('redirect-uri'));
    expect(screen.getByTestId('redirect-panel').textContent).toContain('URI de redirección a registrar');
  });
});

describe('ReauthDialog redirect URI', () => {
  it('shows an exact redirect before opening the browser, then starts', async () => {
    render(ReauthDialog, { item: byId('hub-1'), onclose: noop });
    await waitFor(() => screen.getByTestId('reauth-start'));
    expect((screen.getByTestId('redirect-uri') as HTMLInputElement).value).toBe('http://localhost:53682/callback');
    expect(backend.calls.filter((c) => c.startsWith('StartReauth'))).toEqual([]);
    expect(document.activeElement).toBe(screen.getByTestId('reauth-start'));
    await fireEvent.click(screen.getByTestId('reauth-start'));
    await waitFor(() => screen.getByTestId('auth-url'));
    expect(backend.calls).toContain('StartReauth:hub-1');
  });

  it('starts at once right after Add (the form showed the address)', async () => {
    render(ReauthDialog, { item: byId('hub-1'), onclose: noop, autostart: true });
    await waitFor(() => screen.getByTestId('auth-url'));
    expect(screen.queryByTestId('reauth-start')).toBeNull();
  });

  it('starts at once for any-port providers and still shows the address while waiting', async () => {
    render(ReauthDialog, { item: byId('ga-1'), onclose: noop });
    await waitFor(() => screen.getByTestId('auth-url'));
    expect((screen.getByTestId('redirect-uri') as HTMLInputElement).value).toBe('http://127.0.0.1/callback');
  });

  it('cannot start without a registered address', async () => {
    const item = { ...byId('hub-1'), redirect: { unset: true, accepts: ['https'], source: 'https://example.com/rules' } };
    render(ReauthDialog, { item, onclose: vi.fn() });
    await waitFor(() => screen.getByTestId('reauth-start'));
    expect((screen.getByTestId('reauth-start') as HTMLButtonElement).disabled).toBe(true);
  });
});
