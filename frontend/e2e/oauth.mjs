// Browser end-to-end for OAuth through the UI, against the real app
// (wails dev) and the sandbox provider: add an OAuth integration and
// authorize it in the system browser (a headless chromium named by
// $BROWSER in the app's environment), break it at the provider, then click
// its name and watch the row turn green without a restart.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.RELINK_E2E_URL ?? 'http://localhost:34115';
const sandbox = process.env.RELINK_E2E_SANDBOX_URL;
const out = process.env.RELINK_ARTIFACTS ?? '../artifacts/e2e';
if (!sandbox) throw new Error('set RELINK_E2E_SANDBOX_URL');
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
const shot = (name) => page.screenshot({ path: join(out, `${name}.png`) });
const row = () => page.locator('[data-testid=integration-row]', { hasText: 'Sandbox OAuth' });
const control = (path, body = '{}') => fetch(`${sandbox}/control/${path}`, { method: 'POST', body });
let failed = false;
async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failed = true;
    console.log(`FAIL ${name}: ${err.message}`);
    await page.screenshot({ path: join(out, `oauth-failed-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
    throw err;
  }
}

try {
  await step('app loads', async () => {
    await page.goto(base, { waitUntil: 'networkidle' });
    await page.waitForFunction(() => !!window.go?.main?.App, null, { timeout: 30000 });
  });
  await step('add an OAuth integration and authorize it in the browser', async () => {
    await page.getByTestId('add').click();
    await page.getByTestId('provider-search').fill('OAuth');
    await page.getByTestId('provider-custom-oauth2').click();
    await page.getByTestId('field-name').fill('Sandbox OAuth');
    await page.getByTestId('field-issuer').fill(sandbox);
    await page.getByTestId('field-client_id').fill('relink');
    await page.getByTestId('field-scopes').fill('openid offline analytics.read');
    await page.getByTestId('add-submit').click();
    await page.getByTestId('reauth-done').waitFor({ timeout: 45000 });
    await shot('oauth-01-authorized');
    await page.getByTestId('reauth-close').click();
    await row().locator('[data-testid=status-badge][data-status=connected]').waitFor();
    await shot('oauth-01-connected');
  });
  await step('revoked at the provider: needs reauthorization, access revoked', async () => {
    await control('revoke-user');
    await page.getByTestId('check-all').click();
    await row().locator('[data-testid=status-badge][data-status=needs_reauth]').waitFor({ timeout: 30000 });
    const cause = await row().getByTestId('cause').textContent();
    if (!/revoked/i.test(cause)) throw new Error(`cause: ${cause}`);
    await shot('oauth-02-revoked');
  });
  await step('click the name: the browser opens and the row turns green', async () => {
    await row().getByTestId('integration-name').click();
    await page.getByTestId('reauth-done').waitFor({ timeout: 45000 });
    await page.getByTestId('reauth-close').click();
    await row().locator('[data-testid=status-badge][data-status=connected]').waitFor();
    await shot('oauth-03-repaired');
  });
} catch {
  // reported above
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
