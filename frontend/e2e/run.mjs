// Browser end-to-end test against the real app (wails dev, real Go
// backend): add a custom API-key integration, break it at the provider,
// repair it with a new key, then check the page in Spanish. Screenshots of
// each state go to RELINK_ARTIFACTS.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.RELINK_E2E_URL ?? 'http://localhost:34115';
const keyURL = process.env.RELINK_E2E_APIKEY_URL; // e.g. http://127.0.0.1:PORT/me
const controlURL = process.env.RELINK_E2E_CONTROL_URL; // POST {"valid":[...]}
const key = process.env.RELINK_E2E_KEY;
const newKey = process.env.RELINK_E2E_NEW_KEY;
const out = process.env.RELINK_ARTIFACTS ?? '../artifacts/e2e';
mkdirSync(out, { recursive: true });
if (!keyURL || !controlURL || !key || !newKey) throw new Error('set RELINK_E2E_APIKEY_URL, RELINK_E2E_CONTROL_URL, RELINK_E2E_KEY, RELINK_E2E_NEW_KEY');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let failed = false;
const step = async (name, fn) => {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed = true;
    console.log(`FAIL ${name}: ${err.message}`);
    await page.screenshot({ path: join(out, `failed-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
    throw err;
  }
};
const setKeys = (valid) => fetch(controlURL, { method: 'POST', body: JSON.stringify({ valid }) });
const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
const shot = (name) => page.screenshot({ path: join(out, `${name}.png`) });
const row = () => page.locator('[data-testid=integration-row]', { hasText: 'Reporting API' });

try {
  await step('page loads with the real backend', async () => {
    await page.goto(base, { waitUntil: 'networkidle' });
    await page.waitForFunction(() => !!window.go?.main?.App, null, { timeout: 30000 });
    await page.getByTestId('add').waitFor();
    await shot('01-empty');
  });

  await step('add a custom API-key integration and see it connected', async () => {
    await page.getByTestId('add').click();
    await page.getByTestId('provider-search').fill('custom');
    await page.getByTestId('provider-custom-api-key').click();
    await page.getByTestId('field-name').fill('Reporting API');
    await page.getByTestId('field-test_url').fill(keyURL);
    await page.getByTestId('field-api_key').fill(key);
    await page.getByTestId('add-submit').click();
    await row().locator('[data-status=connected]').waitFor({ timeout: 20000 });
    await shot('02-connected');
  });

  await step('break the key at the provider: needs_reauth with the cause sentence', async () => {
    await setKeys([newKey]);
    await page.getByTestId('check-all').click();
    await row().locator('[data-testid=status-badge][data-status=needs_reauth]').waitFor({ timeout: 20000 });
    const cause = await row().getByTestId('cause').textContent();
    if (!cause.includes('The authorization token expired. Reauthorize to reconnect.')) throw new Error(`cause sentence: ${cause}`);
    await shot('03-needs-reauth');
  });

  await step('a wrong key is rejected and not saved', async () => {
    await row().getByTestId('integration-name').click();
    await page.getByTestId('secret-form').waitFor();
    await page.getByTestId('field-api_key').fill('definitely-wrong');
    await page.getByTestId('secret-submit').click();
    await page.getByTestId('secret-form').getByText('rejected').waitFor({ timeout: 20000 });
    await shot('04-wrong-key');
  });

  await step('click the name, enter the new key, healthy again', async () => {
    await page.getByTestId('field-api_key').fill(newKey);
    await page.getByTestId('secret-submit').click();
    await page.getByTestId('secret-form').waitFor({ state: 'detached', timeout: 20000 });
    await row().locator('[data-testid=status-badge][data-status=connected]').waitFor({ timeout: 20000 });
    await shot('05-repaired');
  });

  await step('Spanish: page, cause sentence and reauthorization dialog', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('language').selectOption('es');
    await page.getByTestId('nav-integrations').getByText('Integraciones').waitFor();
    await setKeys(['rotated-again']);
    await page.getByTestId('check-all').click();
    await row().locator('[data-status=needs_reauth]').waitFor({ timeout: 20000 });
    const badge = await row().getByTestId('status-badge').textContent();
    if (!badge.includes('Requiere nueva autorización')) throw new Error(`badge: ${badge}`);
    const cause = await row().getByTestId('cause').textContent();
    if (!cause.includes('El token de autenticación caducó')) throw new Error(`cause: ${cause}`);
    await shot('06-es-needs-reauth');
    await row().getByTestId('integration-name').click();
    await page.getByTestId('secret-form').getByText('Pega una nueva clave de API').waitFor();
    await shot('07-es-reauth-dialog');
    await page.keyboard.press('Escape');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('language').selectOption('en');
  });
} catch {
  // reported above
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
