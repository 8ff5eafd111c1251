// Screenshots of every screen with the dev-only fake backend, at 1024×700,
// light and dark, English and Spanish: `npm run screens`. It starts its own
// Vite dev server (the fake backend exists only there) and writes PNGs to
// RELINK_ARTIFACTS (default ../artifacts/screens).
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const out = process.env.RELINK_ARTIFACTS ?? '../artifacts/screens';
mkdirSync(out, { recursive: true });

const server = await createServer({ server: { port: 0, strictPort: false }, logLevel: 'warn' });
await server.listen();
const base = server.resolvedUrls.local[0];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

let failed = false;
try {
  for (const scheme of ['light', 'dark']) {
    for (const lang of ['en', 'es']) {
      const page = await browser.newPage({ viewport: { width: 1024, height: 700 }, colorScheme: scheme, locale: lang === 'es' ? 'es-ES' : 'en-US' });
      page.on('pageerror', (err) => {
        failed = true;
        console.log(`page error (${scheme}/${lang}): ${err.message}`);
      });
      const shot = async (name) => {
        await page.waitForTimeout(250);
        await page.screenshot({ path: join(out, `${name}-${lang}-${scheme}.png`) });
      };
      const progress = (p) => page.evaluate((p) => window.relinkFake.progress(p), p);
      await page.goto(`${base}?empty`);
      await page.getByTestId('empty').waitFor();
      await shot('00-empty');
      await page.goto(base);
      await page.getByTestId('integration-row').first().waitFor();

      // Horizontal overflow at 1024 px would hide columns.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) {
        failed = true;
        console.log(`horizontal overflow of ${overflow}px (${scheme}/${lang})`);
      }
      await shot('01-integrations');
      await page.mouse.wheel(0, 2000);
      await shot('02-integrations-end');
      await page.mouse.wheel(0, -2000);

      await page.locator('[data-id=shop-1]').getByTestId('details').click();
      await page.getByTestId('history-event').first().waitFor();
      await shot('03-details');
      await page.keyboard.press('Escape');

      await page.locator('[data-id=pg-ssh]').getByTestId('details').click();
      await page.getByTestId('host-key').waitFor();
      await shot('03b-details-ssh-host-key');
      await page.getByTestId('host-key-accept').click();
      await page.getByTestId('host-key-dialog').waitFor();
      await shot('03c-ssh-host-key-confirm');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');

      await page.locator('[data-id=ci-1]').getByTestId('details').click();
      await page.getByTestId('last-update').waitFor();
      await shot('03d-details-commerce-intelligence');
      await page.keyboard.press('Escape');

      await page.locator('[data-id=ga-1]').getByTestId('integration-name').click();
      await page.getByTestId('auth-url').waitFor();
      await shot('04-reauth-waiting');
      const attemptId = 'a1';
      await progress({ attemptId, integrationId: 'ga-1', stage: 'confirm_account', account: 'marketing@acme.com', previousAccount: 'ana@example.com' });
      await shot('05-reauth-confirm-account');
      await progress({ attemptId, integrationId: 'ga-1', stage: 'failed', problem: { code: 'error.oauth_access_denied' } });
      await shot('06-reauth-failed');
      await progress({ attemptId, integrationId: 'ga-1', stage: 'done', account: 'marketing@acme.com' });
      await shot('07-reauth-done');
      await page.keyboard.press('Escape');

      await page.locator('[data-id=stripe-1]').getByTestId('integration-name').click();
      await page.getByTestId('field-api_key').fill('wrong');
      await page.getByTestId('secret-submit').click();
      await page.getByTestId('field-error-api_key').waitFor();
      await shot('08-reauth-secret-rejected');
      await page.keyboard.press('Escape');

      await page.getByTestId('add').click();
      await page.getByTestId('provider-postgres').waitFor();
      await shot('09-add-picker');
      await page.getByTestId('provider-postgres').click();
      await page.getByTestId('field-host').fill('Bad Host!');
      await page.getByTestId('add-submit').click();
      await shot('10-add-form-errors');
      await page.keyboard.press('Escape');

      // The redirect URI to register, before the browser opens.
      await page.locator('[data-id=hub-1]').getByTestId('integration-name').click();
      await page.getByTestId('reauth-start').waitFor();
      await shot('13-reauth-redirect-fixed');
      await page.keyboard.press('Escape');
      await page.getByTestId('add').click();
      await page.getByTestId('provider-hubspot').click();
      await page.getByTestId('redirect-uri').waitFor();
      await shot('14-add-redirect-fixed');
      await page.getByRole('button', { name: /Change|Cambiar/ }).click();
      await page.getByTestId('provider-shopify').click();
      await page.getByTestId('redirect-panel').waitFor();
      await shot('15-add-redirect-unset');
      await page.getByTestId('field-redirect_uri').fill('https://example.com/relink/callback');
      await page.getByTestId('redirect-uri').waitFor();
      await page.getByTestId('redirect-panel').scrollIntoViewIfNeeded();
      await shot('16-add-redirect-https');
      await page.keyboard.press('Escape');

      await page.getByTestId('nav-history').click();
      await page.getByTestId('history-event').first().waitFor();
      await shot('11-history');
      await page.getByTestId('nav-settings').click();
      await page.getByTestId('language').waitFor();
      await shot('12-settings');
      // Team alerts: one destination delivering, one failing.
      await page.evaluate(() => window.relinkFake.setAlerts([
        { id: 'd1', label: 'data-team', format: 'slack', createdAt: '2026-11-20T09:00:00Z', lastAttemptAt: '2026-11-29T08:00:00Z',
          lastDeliveredAt: '2026-11-29T08:00:00Z', lastStatus: 200, failingSince: '0001-01-01T00:00:00Z', pending: 0 },
        { id: 'd2', label: 'on-call', format: 'teams', createdAt: '2026-11-20T09:00:00Z', lastAttemptAt: '2026-11-29T09:05:00Z',
          lastDeliveredAt: '0001-01-01T00:00:00Z', lastStatus: 404, lastError: 'HTTP 404: no_service', failingSince: '2026-11-29T09:05:00Z', pending: 3 },
      ]));
      await page.getByTestId('nav-integrations').click();
      await page.getByTestId('nav-settings').click();
      await page.getByTestId('alerts-settings').scrollIntoViewIfNeeded();
      await page.getByTestId('alert-on-call').waitFor();
      await shot('12b-settings-alerts');
      await page.close();
    }
  }
} catch (err) {
  failed = true;
  console.log(`FAIL ${err.message}`);
} finally {
  await browser.close();
  await server.close();
}
console.log(failed ? 'screens: FAILED' : `screens: written to ${out}`);
process.exit(failed ? 1 : 0);
