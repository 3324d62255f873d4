import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { useEnv, newPage, uiLogin, shot, uid } from './harness.js';

/** A real OpenSSH server on loopback with its own host key (null without sshd). */
async function startSSHD() {
  if (!existsSync('/usr/sbin/sshd')) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'shakedown-e2e-sshd-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'hostkey')]);
  const port = await new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
  writeFileSync(
    path.join(dir, 'sshd_config'),
    `Port ${port}\nListenAddress 127.0.0.1\nHostKey ${path.join(dir, 'hostkey')}\nPasswordAuthentication no\n` +
      `KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile ${path.join(dir, 'sshd.pid')}\n`,
  );
  execFileSync('mkdir', ['-p', '/run/sshd']);
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const fingerprint = execFileSync('ssh-keygen', ['-lf', path.join(dir, 'hostkey.pub')]).toString().split(/\s+/)[1];
  return {
    port,
    fingerprint,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('targets', () => {
  const env = useEnv(before, after);

  it('an admin imports targets from CSV: a bad row is named and nothing is written, the corrected file previews and imports', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('nav-targets').click();
    await page.getByTestId('targets-page').waitFor();

    const u = uid();
    const good = `name,address,port,user,tags,environment,criticality\ne2e-web-${u}a,10.9.0.1,22,deploy,web;eu-1,production,high\n`;
    const bad = good + `e2e-web-${u}b,10.9.0.2,twenty-two,deploy,web;us-1,production,medium\n`;
    await page.getByTestId('targets-import').click();
    const dlg = page.getByTestId('target-import-dialog');
    await dlg.getByTestId('import-text').fill(bad);
    await dlg.getByTestId('import-check').click();
    const rowError = dlg.locator('[data-testid="import-row-error"][data-row="2"][data-field="port"]');
    await rowError.waitFor();
    assert.match(await rowError.innerText(), /twenty-two/);
    assert.match(await dlg.getByTestId('import-error').innerText(), /1 of 2 rows/);
    assert.equal(await dlg.getByTestId('import-run').isDisabled(), true);
    await shot(page, 'targets-import-errors');
    const none = await env.api.get(`/targets?q=e2e-web-${u}`);
    assert.equal(none.total, 0, 'a refused import wrote nothing');

    await dlg.getByTestId('import-text').fill(bad.replace('twenty-two', '2222'));
    await dlg.getByTestId('import-check').click();
    await dlg.getByTestId('import-preview').waitFor();
    assert.equal(await dlg.locator('[data-testid="import-preview-row"][data-action="create"]').count(), 2);
    assert.equal((await env.api.get(`/targets?q=e2e-web-${u}`)).total, 0, 'a check writes nothing');
    await shot(page, 'targets-import-preview');
    await dlg.getByTestId('import-run').click();
    await page.getByTestId('targets-flash').getByText('2 configuration items created').waitFor();

    // The list: filter by tag and kind, then search.
    await page.getByTestId('targets-tag').fill('web, us-1');
    await page.getByTestId('targets-q').fill(`e2e-web-${u}`);
    const rows = page.getByTestId('target-row');
    await page.locator(`[data-testid="target-row"][data-name="e2e-web-${u}b"]`).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="target-row"]').length === 1);
    assert.match(await rows.first().getByTestId('target-address').innerText(), /deploy@10\.9\.0\.2:2222/);
    await page.getByTestId('targets-tag').fill('');
    await page.getByTestId('targets-kind').selectOption('manual');
    await page.getByTestId('targets-summary').getByText('0–0 of 0').or(page.getByText('No target matches these filters')).waitFor();
    await page.getByTestId('targets-kind').selectOption('ssh');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="target-row"]').length === 2);
    assert.deepEqual(page.errors, []);
  });

  it('an admin sets a password and tags, fetches the host key, checks it and trusts it; the password is never shown', async () => {
    const sshd = await startSSHD();
    try {
      const u = uid();
      const name = `e2e-host-${u}`;
      await env.api.post('/cis', { name, kind: 'host', environment: 'production', criticality: 'high' });
      const page = await newPage(env.browser, env.baseURL);
      await uiLogin(page);
      await page.goto(`/#/admin/targets`);
      await page.getByTestId('targets-q').fill(name);
      const row = page.locator(`[data-testid="target-row"][data-name="${name}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-kind'), 'manual');
      await row.getByTestId('target-edit').click();
      const dlg = page.getByTestId('target-dialog');
      await dlg.getByTestId('target-address-input').fill('127.0.0.1');
      await dlg.getByTestId('target-port').fill(String(sshd ? sshd.port : 22));
      await dlg.getByTestId('target-user').fill('root');
      await dlg.getByTestId('target-auth-password').check();
      const password = `pw-${u}-never-shown`;
      await dlg.getByTestId('target-password').fill(password);
      await dlg.getByTestId('target-sudo').check();
      await dlg.getByTestId('target-tags').fill('Web, eu-1');
      await dlg.getByTestId('target-save').click();
      await page.getByTestId('targets-flash').getByText(`Saved ${name}.`).waitFor();
      await page.waitForFunction((n) => document.querySelector(`[data-testid="target-row"][data-name="${n}"]`)?.getAttribute('data-kind') === 'ssh', name);
      assert.equal(await row.getByTestId('target-credential').innerText().then((t) => /password/.test(t) && /sudo/.test(t)), true);
      assert.deepEqual(await row.getByTestId('target-tag').allInnerTexts(), ['eu-1', 'web']);
      assert.match(await row.getByTestId('target-hostkey').innerText(), /not trusted yet/);

      // Reopened, the dialog says a password is stored without showing it.
      await row.getByTestId('target-edit').click();
      await dlg.getByTestId('target-has-credential').waitFor();
      assert.equal(await dlg.getByTestId('target-password').inputValue(), '');
      if (sshd) {
        await dlg.getByTestId('target-fetch-key').click();
        const presented = dlg.getByTestId('target-presented');
        await presented.waitFor();
        assert.equal(await presented.getAttribute('data-fingerprint'), sshd.fingerprint);
        await shot(page, 'targets-hostkey');
        await dlg.getByTestId('target-trust-key').click();
        await dlg.getByTestId('target-pinned').getByText(sshd.fingerprint).waitFor();
        assert.match(await dlg.getByTestId('target-pinned').innerText(), /trusted by admin/);
        await dlg.getByTestId('target-fetch-key').click();
        await presented.getByText('It is the pinned key.').waitFor();
        await page.keyboard.press('Escape');
        await row.getByTestId('target-hostkey').getByText('trusted by admin').waitFor();
      } else {
        await page.keyboard.press('Escape');
      }
      const html = await page.content();
      assert.ok(!html.includes(password), 'the page holds the password');
      const answer = JSON.stringify(await env.api.get(`/targets?q=${name}`));
      assert.ok(!answer.includes(password), 'the API answered the password');
      const t = (await env.api.get(`/targets?q=${name}`)).items[0];
      assert.equal(t.has_credential, true);
      assert.equal(t.auth_kind, 'password');
      if (sshd) assert.equal(t.host_key_fingerprint, sshd.fingerprint);
      await shot(page, 'targets');
      assert.deepEqual(page.errors, []);
    } finally {
      sshd?.stop();
    }
  });
});
