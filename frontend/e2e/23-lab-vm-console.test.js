// A lab VM's view with its live serial console, in Chromium, on a real VM:
// a physical-host CI gets the test guest's disk as its imported image (P2V),
// a one-VM lab boots it, and the VM view shows the guest agent's answers
// and the console, through the server's WebSocket; a command typed there
// runs and its output comes back. Needs libvirtd and the guest image (like
// 11-labs and 12-p2v); skipped without the image. One VM at a time.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { useEnv, newPage, uiLogin, shot, createCI, createRelease, ADMIN_PASSWORD, FRONTEND } from './harness.js';

const GUEST_DIR = path.resolve(process.env.SHAKEDOWN_GUEST_DIR || path.join(FRONTEND, '../build/guest'));
const IMAGE = path.join(GUEST_DIR, 'base.qcow2');
const haveGuest = existsSync(path.join(GUEST_DIR, 'guest.json')) && existsSync(IMAGE);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const made = { ciId: 0, labId: '' };

async function until(what, fn, timeoutMs = 180000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => false);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

// Waits until the console shows want; fails with what it shows.
async function consoleShows(text, want, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let got = '';
  while (Date.now() < deadline) {
    got = await text.innerText();
    if (got.includes(want)) return got;
    await sleep(200);
  }
  throw new Error(`the console does not show ${JSON.stringify(want)}; it shows ${JSON.stringify(got)}`);
}

// Tear the lab down and delete the imported image's volume.
async function cleanUp(env) {
  if (made.labId) {
    await env.api.post(`/labs/${made.labId}/teardown`).catch(() => {});
    await until('the lab torn down', async () => ['torn-down', 'error'].includes((await env.api.get(`/labs/${made.labId}`)).status), 120000).catch((e) => console.error(String(e)));
  }
  if (made.ciId) {
    for (const img of (await env.api.get(`/cis/${made.ciId}/images`).catch(() => ({ items: [] }))).items ?? []) {
      try {
        execFileSync('virsh', ['-c', 'qemu:///system', 'vol-delete', '--pool', 'shakedown', img.volume], { stdio: 'ignore' });
      } catch (e) {
        console.error(`could not delete volume ${img.volume}: ${e}`);
      }
    }
  }
}

describe('lab VM console', { skip: haveGuest ? false : `no guest image in ${GUEST_DIR} (run scripts/build-guest.sh)` }, () => {
  const env = useEnv(before, after, { args: ['--guest-dir', GUEST_DIR], beforeStop: cleanUp });

  it('shows a lab VM with its guest agent and a console one can type into', { timeout: 300000 }, async () => {
    const ci = await createCI(env.api, { kind: 'host', environment: 'production', libvirt_host: 'local' });
    made.ciId = ci.id;
    // The guest's disk, imported as the host's image (as 12-p2v does through the UI).
    const login = await fetch(`${env.baseURL}/api/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = (await login.json()).csrf_token;
    const body = readFileSync(IMAGE);
    const up = await fetch(`${env.baseURL}/api/v1/cis/${ci.id}/images?origin=e2e`, {
      method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/octet-stream' }, body,
    });
    assert.equal(up.status, 201, await up.text());
    const rel = await createRelease(env.api, { ci_ids: [ci.id] });
    const st = await env.api.post(`/releases/${rel.id}/labs`, { ttl_minutes: 30, no_package: true });
    made.labId = st.lab.id;
    const op = await until('the lab built', async () => {
      const o = await env.api.get(`/operations/${st.operation.id}`);
      return ['success', 'failure'].includes(o.status) && o;
    });
    assert.equal(op.status, 'success', op.error);
    const dom = (await env.api.get(`/labs/${made.labId}`)).vms[0].domain;

    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    // From the Labs page to the VM.
    await page.goto('/#/labs');
    const row = page.locator(`[data-testid="labs-page-row"][data-lab-id="${made.labId}"]`);
    await row.waitFor();
    await row.getByTestId('labs-page-vm').click();
    const vm = page.getByTestId('vm-page');
    await vm.waitFor();
    assert.equal(await vm.getAttribute('data-domain'), dom);
    await vm.getByTestId('guest-os').waitFor({ timeout: 30000 });
    assert.match(await vm.getByTestId('guest-os').innerText(), /Shakedown lab guest/);
    assert.notEqual((await vm.getByTestId('guest-hostname').innerText()).trim(), '—');
    assert.notEqual((await vm.getByTestId('guest-uptime').innerText()).trim(), '—');
    await vm.getByTestId('guest-interfaces').waitFor();

    // The console: a command typed in the line field, then keys typed into the console itself.
    await vm.locator('[data-testid="console"][data-status="open"]').waitFor({ timeout: 20000 });
    const text = vm.getByTestId('console-text');
    // An empty line first: the shell's prompt shows once it is ready (the VM may have just booted).
    await vm.getByTestId('console-send').click();
    await consoleShows(text, '# ', 60000);
    await vm.getByTestId('console-input').fill('echo line-$((20+22))');
    await vm.getByTestId('console-send').click();
    await consoleShows(text, 'line-42');
    assert.match(await text.innerText(), /echo line-\$\(\(20\+22\)\)/, 'the typed command is echoed');
    await text.click();
    await page.keyboard.type('echo key-$((1+1))');
    await page.keyboard.press('Enter');
    await consoleShows(text, 'key-2');
    assert.doesNotMatch(await text.innerText(), /\x1b/, 'escape sequences are stripped');
    await shot(page, 'lab-vm-console');
    assert.deepEqual(page.errors, []);
    await page.context().close();

    // A manager reads the console but has no means to type.
    const mgr = `mgr${Date.now().toString(36)}`;
    await env.api.post('/users', { username: mgr, password: 'manager-password-1', roles: ['manager'] });
    const mpage = await newPage(env.browser, env.baseURL);
    await uiLogin(mpage, mgr, 'manager-password-1');
    await mpage.goto(`/#/labs/${made.labId}/vms/${encodeURIComponent(dom)}`);
    await mpage.locator('[data-testid="console"][data-status="open"]').waitFor({ timeout: 30000 });
    await mpage.getByTestId('console-readonly').waitFor();
    await sleep(500);
    assert.equal(await mpage.getByTestId('console-input').count(), 0);
    await mpage.getByTestId('console-text').click();
    await mpage.keyboard.type('echo manager-$((3*3))');
    await mpage.keyboard.press('Enter');
    await sleep(1500);
    assert.doesNotMatch(await mpage.getByTestId('console-text').innerText(), /manager-9/, 'a manager cannot type');
    await mpage.context().close();
  });
});
