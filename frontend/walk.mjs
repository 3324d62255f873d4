// A new user's walk through each role's daily screens (not committed).
import { chromium } from 'playwright-core';
const base = process.env.BASE || 'http://127.0.0.1:8080';
const pw = process.env.PW;
const out = '/tmp/walk';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
async function as(user, steps) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: base });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log(user, 'PAGE ERROR', e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.log(user, 'console error', m.text()); });
  await page.goto('/#/board');
  await page.getByTestId('login-username').fill(user);
  await page.getByTestId('login-password').fill(pw);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-header').waitFor();
  for (const [name, fn] of steps) {
    try {
      await fn(page);
      await page.waitForTimeout(1200);
      await page.screenshot({ path: `${out}/${user}-${name}.png` });
      console.log('shot', user, name);
    } catch (e) {
      console.log(user, name, 'FAILED', e.message.split('\n')[0]);
    }
  }
  await ctx.close();
}
const go = (hash) => async (p) => { await p.goto('/' + hash); };
await as('tess', [['board', go('#/board')], ['labs', go('#/labs')], ['release', go('#/releases/1')], ['lab-form', go('#/releases/1/labs/new')]]);
await as('mona', [['board', go('#/board')], ['inbox', go('#/approvals')], ['kpis', go('#/kpis')], ['calendar', go('#/calendar')]]);
await as('adam', [['board', go('#/board')], ['hosts', go('#/admin/hosts')], ['targets', go('#/admin/targets')], ['notifications', go('#/admin/notifications')], ['audit', go('#/audit')]]);
await browser.close();
