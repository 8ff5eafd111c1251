// Browser end-to-end test against the real app (`wails dev`, real Go
// backend): add a custom API-key integration, break its key at the
// provider, repair it with a new key, then do it again in Spanish.
// Screenshots of every state, in both languages, go to RELINK_ARTIFACTS.
//
// Environment:
//   RELINK_E2E_URL           the app (default http://localhost:34115)
//   RELINK_E2E_APIKEY_URL    the test endpoint the integration checks
//   RELINK_E2E_KEY           a key the endpoint accepts at the start
//   RELINK_E2E_NEW_KEY       the key that replaces it
//   RELINK_E2E_CONTROL_URL   POST {"valid":[...]} sets the accepted keys, or
//   RELINK_E2E_BREAK_CMD     a shell command that does the same, reading the
//                            keys to accept from RELINK_E2E_VALID_KEYS (comma-separated)
//   RELINK_ARTIFACTS         screenshot folder (default ../artifacts/e2e)
import { chromium } from 'playwright-core';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const base = env.RELINK_E2E_URL ?? 'http://localhost:34115';
const out = env.RELINK_ARTIFACTS ?? '../artifacts/e2e';
const [keyURL, key, newKey] = [env.RELINK_E2E_APIKEY_URL, env.RELINK_E2E_KEY, env.RELINK_E2E_NEW_KEY];
if (!keyURL || !key || !newKey || !(env.RELINK_E2E_CONTROL_URL || env.RELINK_E2E_BREAK_CMD)) {
  console.error('set RELINK_E2E_APIKEY_URL, RELINK_E2E_KEY, RELINK_E2E_NEW_KEY and RELINK_E2E_CONTROL_URL or RELINK_E2E_BREAK_CMD');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
// A third key for the Spanish round, derived so it is never a real one.
const spanishKey = `${newKey}-es`;

/** acceptOnly makes the test endpoint accept exactly these keys. */
async function acceptOnly(valid) {
  if (env.RELINK_E2E_CONTROL_URL) {
    const res = await fetch(env.RELINK_E2E_CONTROL_URL, { method: 'POST', body: JSON.stringify({ valid }) });
    if (!res.ok) throw new Error(`control URL answered ${res.status}`);
  } else {
    execSync(env.RELINK_E2E_BREAK_CMD, { stdio: 'inherit', env: { ...env, RELINK_E2E_VALID_KEYS: valid.join(',') } });
  }
}

/** expectText checks that got contains want (a string) or matches it (a RegExp). */
function expectText(what, got, want) {
  const ok = want instanceof RegExp ? want.test(got ?? '') : got?.includes(want);
  if (!ok) throw new Error(`${what}: got ${JSON.stringify(got)}; want ${want instanceof RegExp ? want : JSON.stringify(want)}`);
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1024, height: 700 }, locale: 'en-US' });
page.setDefaultTimeout(20000);
const errors = [];
// Wails' own dev overlay (wails/ipc.js) throws while it mounts in a plain
// browser; only the app's errors count.
page.on('pageerror', (err) => {
  if (!err.stack?.includes('/wails/')) errors.push(err.message);
});
const shot = (name) => page.screenshot({ path: join(out, `${name}.png`) });
const row = () => page.locator('[data-testid=integration-row]', { hasText: 'Reporting API' });
const badge = (status) => row().locator(`[data-testid=status-badge][data-status=${status}]`);

let failed = false;
async function step(name, fn) {
  if (failed) return console.log(`skip ${name}`);
  const t0 = Date.now();
  try {
    await fn();
    if (errors.length) throw new Error(`page error: ${errors.join('; ')}`);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed = true;
    console.log(`FAIL ${name}: ${err.message}`);
    await shot(`failed-${name.replace(/\W+/g, '-')}`).catch(() => {});
  }
}

/** repair clicks the integration's name and enters a key in the secret form. */
async function repair(secret, lang) {
  await row().getByTestId('integration-name').click();
  await page.getByTestId('secret-form').waitFor();
  await shot(`${lang}-05-reauth-dialog`);
  await page.getByTestId('field-api_key').fill(secret);
  await page.getByTestId('field-api_key').press('Enter');
  await page.getByTestId('reauth-done').waitFor();
  await shot(`${lang}-06-reauthorized`);
  await page.getByTestId('reauth-close').click();
  await badge('connected').waitFor();
  await shot(`${lang}-07-healthy-again`);
}

await step('the app loads with the real backend', async () => {
  await page.goto(base, { waitUntil: 'networkidle' });
  await page.waitForFunction(() => !!window.go?.main?.App, null, { timeout: 30000 });
  await page.getByTestId('add').waitFor();
  await shot('en-01-start');
});

await step('add a custom API-key integration and see it connected', async () => {
  await acceptOnly([key]);
  await page.getByTestId('add').click();
  await page.getByTestId('provider-search').fill('custom');
  await page.getByTestId('provider-custom-api-key').click();
  await page.getByTestId('field-name').fill('Reporting API');
  await page.getByTestId('field-test_url').fill(keyURL);
  await page.getByTestId('field-api_key').fill(key);
  await shot('en-02-add-form');
  await page.getByTestId('add-submit').click();
  await page.getByTestId('add-dialog').waitFor({ state: 'detached' });
  await badge('connected').waitFor();
  expectText('last checked', await row().getByTestId('last-checked').textContent(), /^(now|\d+ \w+\.? ago)$/);
  await shot('en-03-connected');
});

await step('break the key at the provider: Check now says needs reauthorization and why', async () => {
  await acceptOnly([newKey]);
  await page.getByTestId('check-all').click();
  await badge('needs_reauth').waitFor();
  expectText('badge', await row().getByTestId('status-badge').textContent(), 'Needs reauthorization');
  // A rejected API key is its own problem (issue 16): enter a new key.
  expectText('cause', await row().getByTestId('cause').textContent(), 'The provider rejected the API key: it was rotated, revoked or has expired. Enter a new key.');
  expectText('summary', await page.getByTestId('summary').textContent(), '1 needs reauthorization');
  await row().getByTestId('reauthorize').waitFor();
  await shot('en-04-needs-reauth');
});

await step('a wrong key is rejected next to the field and nothing changes', async () => {
  await row().getByTestId('integration-name').click();
  await page.getByTestId('field-api_key').fill('definitely-not-a-valid-key');
  await page.getByTestId('secret-submit').click();
  await page.getByTestId('field-error-api_key').waitFor();
  expectText('rejection', await page.getByTestId('field-error-api_key').textContent(), 'rejected');
  await shot('en-05-wrong-key');
  await page.keyboard.press('Escape');
  await page.getByTestId('reauth-dialog').waitFor({ state: 'detached' });
  await badge('needs_reauth').waitFor();
});

await step('click the name, enter the new key: healthy again', async () => {
  await repair(newKey, 'en');
});

await step('switch to Spanish in Settings, without a restart', async () => {
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('language').selectOption('es');
  await page.getByTestId('nav-integrations').getByText('Integraciones').waitFor();
  await shot('es-01-settings');
  await page.getByTestId('nav-integrations').click();
  expectText('badge', await row().getByTestId('status-badge').textContent(), 'Conectada');
  expectText('last checked', await row().getByTestId('last-checked').textContent(), /^(ahora|hace \d+ \w+)$/);
  await shot('es-03-connected');
});

await step('Spanish: the broken key shows the Spanish cause sentence', async () => {
  await acceptOnly([spanishKey]);
  await page.getByTestId('check-all').click();
  await badge('needs_reauth').waitFor();
  expectText('badge', await row().getByTestId('status-badge').textContent(), 'Requiere nueva autorización');
  expectText('cause', await row().getByTestId('cause').textContent(), 'El proveedor rechazó la clave de API: se rotó, se revocó o caducó. Introduce una clave nueva.');
  expectText('button', await row().getByTestId('reauthorize').textContent(), 'Volver a autorizar');
  expectText('summary', await page.getByTestId('summary').textContent(), '1 requiere nueva autorización');
  await shot('es-04-needs-reauth');
});

await step('Spanish: the reauthorization dialog repairs it', async () => {
  await row().getByTestId('integration-name').click();
  expectText('dialog', await page.getByTestId('secret-form').textContent(), 'Pega una nueva clave de API');
  await page.keyboard.press('Escape');
  await repair(spanishKey, 'es');
});

await step('back to the system language', async () => {
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('language').selectOption('');
  await page.getByTestId('nav-integrations').getByText('Integrations').waitFor();
});

await browser.close();
console.log(failed ? 'e2e: FAILED' : `e2e: passed; screenshots in ${out}`);
process.exit(failed ? 1 : 0);
