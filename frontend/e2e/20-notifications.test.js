import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useEnv, newPage, uiLogin, shot, apiClient, FRONTEND, ADMIN_PASSWORD } from './harness.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A real SMTP server (aiosmtpd) writing each message it receives to dir. */
async function startSMTP() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'shakedown-smtp-'));
  const child = spawn('/usr/bin/python3', [path.join(FRONTEND, '../backend/notify/testdata/smtpd.py'), '--port', String(port), '--out', dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => (String(d).startsWith('ready') ? resolve() : reject(new Error(String(d)))));
    child.once('exit', (code) => reject(new Error(`aiosmtpd exited ${code}`)));
  });
  return {
    port,
    mails: () =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .sort()
        .map((f) => readFileSync(path.join(dir, f), 'utf8')),
    stop: () => {
      child.stdin.end();
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A webhook receiver that checks the signature against secret.value. */
async function startHook() {
  const hook = { secret: '', received: [], bad: 0, failing: false };
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const sig = req.headers['shakedown-signature'] || '';
      const t = /t=(\d+)/.exec(sig)?.[1];
      const want = createHmac('sha256', hook.secret).update(`${t}.${body}`).digest('hex');
      if (!sig.endsWith(`v1=${want}`)) {
        hook.bad++;
        res.writeHead(401).end('bad signature');
        return;
      }
      if (hook.failing) {
        res.writeHead(503).end('try later');
        return;
      }
      hook.received.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${srv.address().port}/hooks/sd`;
  hook.stop = () => srv.close();
  return hook;
}

describe('notifications', () => {
  const env = useEnv(before, after);
  let smtp;
  let hook;
  before(async () => {
    smtp = await startSMTP();
    hook = await startHook();
  });
  after(() => {
    smtp?.stop();
    hook?.stop();
  });

  it('an admin sets up mail (a test mail arrives) and a chat webhook whose signed test delivery shows in its history', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('nav-notifications').click();
    await page.getByTestId('notifications-admin').waitFor();

    await page.getByTestId('n-base-url').fill('ftp://nope');
    await page.getByTestId('n-save').click();
    const err = page.locator('[data-testid="field-error"][data-field="base_url"]');
    await err.waitFor();
    assert.match(await err.innerText(), /http or https/);

    await page.getByTestId('n-base-url').fill('https://shakedown.example.com');
    await page.getByTestId('n-host').fill('127.0.0.1');
    await page.getByTestId('n-port').fill(String(smtp.port));
    await page.getByTestId('n-security').selectOption('none');
    await page.getByTestId('n-from').fill('shakedown@example.com');
    await page.getByTestId('n-save').click();
    await page.getByText('Notification settings saved.').waitFor();

    await page.getByTestId('n-test-to').fill('ops@example.com');
    await page.getByTestId('n-test-send').click();
    await page.getByText('A test mail went to ops@example.com.').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'notifications-smtp');
    const mails = smtp.mails();
    assert.equal(mails.length, 1);
    assert.match(mails[0], /X-Envelope-To: ops@example.com/);
    assert.match(mails[0], /https:\/\/shakedown.example.com\/#\/admin\/notifications/);

    await page.getByTestId('hook-new').click();
    await page.getByTestId('hook-name').fill('Ops chat');
    await page.getByTestId('hook-url').fill('not a url');
    await page.getByTestId('hook-save').click();
    await page.locator('[data-testid="field-error"][data-field="url"]').waitFor();
    await page.getByTestId('hook-url').fill(hook.url);
    await page.getByTestId('hook-format').selectOption('chat');
    await page.getByTestId('hook-save').click();
    const secretBanner = page.getByTestId('hook-secret');
    await secretBanner.waitFor();
    hook.secret = (await secretBanner.locator('code').innerText()).trim();
    assert.match(hook.secret, /^whsec_/);
    await page.getByTestId('hook-row').waitFor();

    await page.getByTestId('hook-test').click();
    const row = page.getByTestId('delivery-row').first();
    await row.waitFor();
    for (let i = 0; i < 40 && hook.received.length === 0; i++) await sleep(100);
    assert.equal(hook.bad, 0, 'a delivery with a bad signature');
    assert.equal(hook.received.length, 1);
    assert.match(hook.received[0].text, /\*\*Test notification\*\*/);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('[data-testid="delivery-state"]', { hasText: 'sent' }).first().waitFor();
    await row.getByText('history').click();
    await shot(page, 'notifications-admin');

    // Re-send: a second signed delivery of the same notification.
    await row.getByTestId('delivery-resend').click();
    for (let i = 0; i < 40 && hook.received.length < 2; i++) await sleep(100);
    assert.equal(hook.received.length, 2);

    // The history is live: a failing endpoint's attempt, then a re-send's
    // success, show in the row without a reload or a click on Refresh.
    hook.failing = true;
    await page.getByTestId('hook-test').click();
    await page.locator('[data-testid="delivery-row"]').nth(1).waitFor();
    const newest = page.getByTestId('delivery-row').first();
    await newest.getByTestId('delivery-answer').getByText('503').waitFor();
    assert.equal(await newest.getByTestId('delivery-state').innerText(), 'pending');
    assert.match(await newest.locator('td').nth(2).innerText(), /^1\b/);
    await shot(page, 'notifications-live-failed');
    hook.failing = false;
    await newest.getByTestId('delivery-resend').click();
    await newest.locator('[data-testid="delivery-state"]', { hasText: 'sent' }).waitFor();
    assert.equal(hook.received.length, 3);
    assert.equal(await newest.locator('details li').count(), 2, 'the failed attempt and the re-send');
    await shot(page, 'notifications-live-sent');
    assert.deepEqual(page.errors, []);
  });

  it('a manager chooses which notifications to get by mail, from the user menu', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page, 'mona', ADMIN_PASSWORD);
    await page.getByTestId('current-user').click();
    await page.getByTestId('nav-my-notifications').click();
    await page.getByTestId('my-notifications').waitFor();
    await page.getByTestId('pref-email').fill('mona at example');
    await page.getByTestId('pref-save').click();
    await page.locator('[data-testid="field-error"][data-field="email"]').waitFor();
    await page.getByTestId('pref-email').fill('mona@example.com');
    assert.equal(await page.getByTestId('pref-kind-release.awaiting-approval').isChecked(), true);
    await page.getByTestId('pref-kind-lab.passed').uncheck();
    await page.getByTestId('pref-digest').uncheck();
    await page.getByTestId('pref-save').click();
    await page.getByText('Your notification preferences are saved.').waitFor();
    await page.getByTestId('my-deliveries').getByText('No mail yet.').waitFor();
    await shot(page, 'notifications-prefs');

    const mona = await apiClient(env.baseURL, 'mona', ADMIN_PASSWORD);
    const prefs = await mona.get('/notifications/preferences');
    assert.equal(prefs.email, 'mona@example.com');
    assert.equal(prefs.digest, false);
    assert.equal(prefs.events['lab.passed'], false);
    assert.equal(prefs.events['release.awaiting-approval'], true);
    await assert.rejects(mona.get('/notifications/settings'), /403/);
    assert.deepEqual(page.errors, []);
  });
});
