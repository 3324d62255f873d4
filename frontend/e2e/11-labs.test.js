// VM labs end to end, with real VMs: the server is started with --guest-dir
// so that --demo makes the production VMs prod-web-1, prod-web-2 and
// prod-db-1 on the local libvirtd. Through the UI: a lab for a demo release
// (its 2 VM CIs), a package that writes a new version, a 2-check test
// period (one passes, one fails, continue on failure), live progress,
// evidence, another test period, the operations and hosts screens, teardown.
// At most one lab of 2 VMs exists at a time.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { useEnv, newPage, uiLogin, shot, FRONTEND } from './harness.js';

// The demo VMs of test servers are named sdtest-e2e-prod-…, so that the
// sweep at the end of make test removes them.
const VM_PREFIX = 'sdtest-e2e-';
const GUEST_DIR = path.resolve(process.env.SHAKEDOWN_GUEST_DIR || path.join(FRONTEND, '../build/guest'));
const haveGuest = existsSync(path.join(GUEST_DIR, 'guest.json'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeoutMs = 60000, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

// Whatever happens, leave no lab behind: tear down what this server made.
async function teardownAll(env) {
  const labs = (await env.api.get('/labs?limit=200')).items ?? [];
  for (const l of labs) {
    if (l.status === 'creating' || l.status === 'testing') {
      if (l.operation_id) await env.api.post(`/operations/${l.operation_id}/cancel`).catch(() => {});
      await until(`lab ${l.id} to stop`, async () => {
        const s = (await env.api.get(`/labs/${l.id}`)).status;
        return s !== 'creating' && s !== 'testing' && s;
      }, 120000).catch(() => {});
    }
    const cur = await env.api.get(`/labs/${l.id}`);
    if (['ready', 'passed', 'failed', 'error'].includes(cur.status)) {
      await env.api.post(`/labs/${l.id}/teardown`).catch(() => {});
    }
    await until(`lab ${l.id} torn down`, async () => {
      const s = (await env.api.get(`/labs/${l.id}`)).status;
      return s === 'torn-down' || s === 'error' ? s : false;
    }, 120000).catch((e) => console.error(String(e)));
  }
}

describe('VM labs', { skip: haveGuest ? false : `no guest image in ${GUEST_DIR} (run scripts/build-guest.sh)` }, () => {
  const env = useEnv(before, after, { args: ['--guest-dir', GUEST_DIR, '--demo-vm-prefix', VM_PREFIX], beforeStop: teardownAll });

  it('creates a lab through the UI, watches it live, reads the evidence and tears it down', { timeout: 420000 }, async () => {
    // The demo production VMs are made by an operation at start.
    await until('the demo production VMs', async () => {
      const ops = (await env.api.get('/operations?kind=demo.production')).items ?? [];
      if (ops.some((o) => o.status === 'failure')) throw new Error(`demo production failed: ${JSON.stringify(ops)}`);
      return ops.some((o) => o.status === 'success');
    }, 120000);
    const cis = (await env.api.get('/cis?kind=vm')).items;
    for (const n of ['prod-web-1', 'prod-web-2', 'prod-db-1']) {
      const ci = cis.find((c) => c.name === n);
      assert.ok(ci, `CI ${n} exists`);
      assert.equal(ci.libvirt_domain, VM_PREFIX + n, `CI ${n} is linked to its libvirt domain`);
    }
    const host = (await env.api.get('/hosts')).items.find((h) => h.name === 'local');
    assert.ok(host?.connected, `the local libvirt host is connected: ${JSON.stringify(host)}`);

    // A demo release touching prod-web-1, prod-web-2 (VMs) and prod-lb-1 (a physical host).
    const rel = (await env.api.get('/releases?q=OpenSSL')).items.find((r) => r.name === 'OpenSSL hotfix');
    assert.ok(rel, 'the demo release "OpenSSL hotfix" exists');

    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/releases/${rel.id}`);
    const section = page.getByTestId('labs-section');
    await section.waitFor();
    await section.getByTestId('labs-empty').waitFor();
    await section.getByTestId('new-lab').click();

    // ---- the form
    const form = page.getByTestId('lab-form');
    await form.waitFor();
    const ciBox = (name) => form.locator(`[data-testid="lab-ci"][data-ci-name="${name}"]`);
    assert.equal(await ciBox('prod-web-1').locator('input').isChecked(), true);
    assert.equal(await ciBox('prod-web-2').locator('input').isChecked(), true);
    assert.equal(await ciBox('prod-lb-1').getAttribute('data-disabled'), 'true');
    assert.equal(await ciBox('prod-lb-1').locator('input').isDisabled(), true);
    assert.match(await form.getByTestId('lab-ci-reason').first().innerText(), /physical host/i);
    // The demo production VMs run: their clones will resume production as it runs,
    // and "boot fresh" says otherwise.
    await until('the hosts are listed', async () => (await ciBox('prod-web-1').getByTestId('lab-ci-start').count()) === 1, 15000, 200);
    assert.equal(await ciBox('prod-web-1').getByTestId('lab-ci-start').innerText(), 'resumes as it runs');
    await form.getByTestId('lab-start-boot').check();
    assert.equal(await ciBox('prod-web-1').getByTestId('lab-ci-start').innerText(), 'boots fresh');
    await form.getByTestId('lab-start-resume').check();

    await form.getByTestId('lab-ttl').selectOption('30');
    await form.getByTestId('pkg-name').fill('openssl-3.0.15');
    await form.getByTestId('pkg-install').fill('sh install.sh');
    const file = form.getByTestId('file-row').first();
    // a path the server refuses: its error shows next to that field
    await file.getByTestId('file-path').fill('../install.sh');
    await file.getByTestId('file-content').fill(
      '#!/bin/sh\nset -e\nold=$(cat /srv/www/version)\necho 3.0.15 > /srv/www/version\necho "version $old -> $(cat /srv/www/version)"\n',
    );
    await file.getByTestId('file-mode').fill('0755');

    await form.getByTestId('period-interval').fill('1');
    await form.getByTestId('period-duration').fill('3');
    const check1 = form.getByTestId('check-row').nth(0);
    await check1.getByTestId('check-name').fill('new version served');
    await check1.getByTestId('check-command').fill('grep -qx 3.0.15 /srv/www/version && cat /srv/www/version');
    await form.getByTestId('period-add-check').click();
    const check2 = form.getByTestId('check-row').nth(1);
    await check2.getByTestId('check-name').fill('legacy cipher refused');
    await check2.getByTestId('check-command').fill('echo "<b>RC4</b> still enabled" >&2; exit 3');
    if (!(await form.getByTestId('period-continue').isChecked())) await form.getByTestId('period-continue').check();
    await shot(page, 'lab-form');

    await form.getByTestId('lab-submit').click();
    const pathErr = form.locator('[data-testid="field-error"][data-field="package.files[0].path"]');
    await pathErr.waitFor();
    assert.match(await pathErr.innerText(), /relative|\.\./);
    await page.getByTestId('lab-form-banner').waitFor();
    assert.equal(await file.getByTestId('file-path').getAttribute('aria-invalid'), 'true');
    await file.getByTestId('file-path').fill('install.sh');
    await pathErr.waitFor({ state: 'detached' });
    // the banner that pointed at the field goes with it
    await page.getByTestId('lab-form-banner').waitFor({ state: 'detached' });

    await form.getByTestId('lab-submit').click();

    // ---- the lab page, live
    await page.waitForURL(/#\/labs\/[A-Za-z0-9._-]+$/, { timeout: 20000 });
    const labId = page.url().match(/#\/labs\/([A-Za-z0-9._-]+)$/)[1];
    const lab = page.getByTestId('lab-page');
    await lab.waitFor();
    await page.evaluate(() => (window.__noReload = true));
    const progress = page.getByTestId('op-progress');
    await progress.waitFor();

    // Record every stage and percent the panel shows until the operation ends.
    const seen = [];
    let shotTaken = false;
    const end = Date.now() + 300000;
    for (;;) {
      const st = await progress.getAttribute('data-status');
      const stage = await progress.getAttribute('data-stage');
      const pct = Number((await progress.getByTestId('op-percent').innerText().catch(() => '0%')).replace('%', ''));
      const last = seen[seen.length - 1];
      if (!last || last.stage !== stage || last.status !== st) seen.push({ stage, status: st, pct });
      if (!shotTaken && (stage === 'boot' || stage === 'apply' || stage === 'test-period') && st === 'running') {
        await shot(page, 'lab-progress');
        shotTaken = true;
      }
      if (st === 'success' || st === 'failure' || st === 'cancelled') break;
      if (Date.now() > end) throw new Error(`lab creation did not finish: ${JSON.stringify(seen)}`);
      await sleep(150);
    }
    const final = seen[seen.length - 1];
    assert.equal(final.status, 'success', `lab.create ended: ${JSON.stringify(seen)}\n${env.server.log().slice(-3000)}`);
    assert.equal(await progress.getByTestId('op-percent').innerText(), '100%');
    const stagesSeen = [...new Set(seen.map((s) => s.stage))];
    assert.ok(stagesSeen.length >= 3, `several stages shown live: ${JSON.stringify(seen)}`);
    for (const s of ['capture', 'network', 'clone', 'boot', 'apply', 'test-period']) {
      assert.equal(await progress.locator(`[data-testid="op-stage"][data-stage="${s}"]`).getAttribute('data-state'), 'done', `stage ${s} done`);
    }
    if (!shotTaken) await shot(page, 'lab-progress');

    // A failed check makes the lab "failed"; the lab.updated event brings it.
    await lab.locator('[data-testid="lab-status"][data-status="failed"]').waitFor({ timeout: 15000 });
    assert.match(await lab.getByTestId('lab-host').innerText(), /local/);
    assert.notEqual((await lab.getByTestId('lab-network').innerText()).trim(), '—');
    // a 30-minute TTL counting down (the build may have taken a while on a loaded machine)
    const expiresIn = (await lab.getByTestId('lab-expires').innerText()).match(/^in (\d+) min/);
    assert.ok(expiresIn && Number(expiresIn[1]) <= 30 && Number(expiresIn[1]) >= 20, `expires: ${expiresIn?.[0]}`);
    const vms = lab.getByTestId('vm-card');
    assert.equal(await vms.count(), 2);
    assert.match(await vms.first().getByTestId('vm-base').innerText(), /live snapshot of memory and disk/);
    // Each clone says it resumed production's running state, from which moment, and what it cost production.
    for (let i = 0; i < 2; i++) {
      const start = vms.nth(i).getByTestId('vm-start');
      assert.equal(await start.getAttribute('data-start'), 'resume');
      assert.match(await start.innerText(), /^resumed production as it ran at \d\d:\d\d:\d\d · production paused \d+ ms · memory image .+ · agent ready .+ after the restore · clock set right/i);
    }

    // ---- evidence: install rows and both passed and failed checks
    const rows = lab.getByTestId('evidence-row');
    const evTotal = (await env.api.get(`/releases/${rel.id}/evidence?lab_id=${labId}&limit=1`)).total;
    await until(`all ${evTotal} evidence records shown`, async () => (await lab.getByTestId('evidence-count').innerText()).startsWith(`${evTotal} record`), 15000, 200);
    const passed = await lab.locator('[data-testid="evidence-row"][data-passed="true"]').count();
    const failed = await lab.locator('[data-testid="evidence-row"][data-passed="false"]').count();
    assert.ok(passed >= 2 + 2, `install + passing checks on 2 VMs (passed=${passed})`);
    assert.ok(failed >= 2, `the failing check on 2 VMs (failed=${failed})`);
    assert.equal(await lab.locator('[data-testid="evidence-row"][data-kind="install"][data-passed="true"]').count(), 2);
    assert.ok(Number(await lab.getByTestId('summary-passed').innerText()) >= 2);
    assert.ok(Number(await lab.getByTestId('summary-failed').innerText()) >= 2);
    assert.ok(Number(await lab.getByTestId('summary-rounds').innerText()) >= 2);

    // the install's output: the new version was written
    const install = lab.locator('[data-testid="evidence-row"][data-kind="install"]').first();
    await install.getByTestId('evidence-toggle').click();
    await lab.getByTestId('evidence-stdout').first().getByText('-> 3.0.15').waitFor();
    await install.getByTestId('evidence-toggle').click();

    // the failing check's stderr, shown as text (the markup is not rendered)
    const bad = lab.locator('[data-testid="evidence-row"][data-passed="false"]').first();
    assert.match(await bad.innerText(), /legacy cipher refused/);
    assert.match(await bad.innerText(), /\b3\b/);
    await bad.getByTestId('evidence-toggle').click();
    const stderr = lab.getByTestId('evidence-stderr').first();
    await stderr.waitFor();
    assert.equal((await stderr.innerText()).trim(), '<b>RC4</b> still enabled');
    assert.equal(await stderr.locator('b').count(), 0);

    // filters
    await lab.getByTestId('evidence-filter-failed').click();
    await until('only failed rows', async () => (await rows.count()) > 0 && (await lab.locator('[data-testid="evidence-row"][data-passed="true"]').count()) === 0, 10000, 200);
    await lab.getByTestId('evidence-filter-passed').click();
    await until('only passed rows', async () => (await rows.count()) > 0 && (await lab.locator('[data-testid="evidence-row"][data-passed="false"]').count()) === 0, 10000, 200);
    await lab.getByTestId('evidence-filter-all').click();
    await until('all rows', async () => (await lab.locator('[data-testid="evidence-row"][data-passed="false"]').count()) > 0, 10000, 200);
    await bad.getByTestId('evidence-toggle').click().catch(() => {});
    await lab.getByTestId('evidence-section').evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 66));
    const failedRow = lab.locator('[data-testid="evidence-row"][data-passed="false"]').first();
    if ((await failedRow.getByTestId('evidence-toggle').getAttribute('aria-expanded')) !== 'true') {
      await failedRow.getByTestId('evidence-toggle').click();
    }
    await shot(page, 'lab-evidence');

    // ---- another test period, from the lab page (prefilled from the lab's spec)
    const passedBefore = Number(await lab.getByTestId('summary-passed').innerText());
    await lab.getByTestId('run-period').click();
    const dlg = page.getByTestId('period-dialog');
    await dlg.waitFor();
    assert.equal(await dlg.getByTestId('check-row').count(), 2);
    await dlg.getByTestId('period-duration').fill('1');
    await dlg.getByTestId('check-row').nth(1).getByTestId('check-remove').click();
    await dlg.getByTestId('period-submit').click();
    await dlg.waitFor({ state: 'hidden' });
    await page.locator('[data-testid="op-progress"][data-status="success"]').waitFor({ timeout: 60000 });
    assert.match(await page.getByTestId('op-progress').locator('h2').innerText(), /Test period/);
    await until('more passed checks', async () => Number(await lab.getByTestId('summary-passed').innerText()) > passedBefore, 15000);
    await lab.locator('[data-testid="lab-status"][data-status="failed"]').waitFor(); // the earlier failures still count

    // ---- operations screen
    await page.getByTestId('nav-operations').click();
    const opsPage = page.getByTestId('operations-page');
    await opsPage.waitFor();
    const createRow = opsPage.locator('[data-testid="op-row"][data-kind="lab.create"]').first();
    await createRow.waitFor();
    assert.equal(await createRow.getAttribute('data-status'), 'success');
    assert.equal(await createRow.getByTestId('op-lab-link').getAttribute('href'), `#/labs/${labId}`);
    await opsPage.locator('[data-testid="op-row"][data-kind="lab.test-period"][data-status="success"]').first().waitFor();
    await shot(page, 'operations');

    // ---- hosts screen
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('nav-hosts').click();
    const hostsPage = page.getByTestId('hosts-page');
    await hostsPage.waitFor();
    const hostRow = hostsPage.locator('[data-testid="host-row"][data-host="local"]');
    await hostRow.waitFor();
    assert.equal(await hostRow.getAttribute('data-connected'), 'true');
    assert.ok(Number(await hostRow.getByTestId('host-vms').innerText()) >= 5, 'the 3 production VMs and the 2 clones run');
    assert.match(await hostRow.getByTestId('host-vm-names').innerText(), new RegExp(`${VM_PREFIX}prod-web-1`), 'the host names its running VMs');
    await hostsPage.getByTestId('reconcile-panel').waitFor();
    await shot(page, 'hosts');

    // ---- tear down, from the lab page (back through the operations link)
    await page.getByTestId('nav-operations').click();
    await createRow.getByTestId('op-lab-link').click();
    await lab.waitFor();
    await lab.getByTestId('teardown').click();
    await page.getByTestId('teardown-dialog').waitFor();
    await page.getByTestId('teardown-confirm').click();
    await page.locator('[data-testid="op-progress"]').locator('h2', { hasText: 'Tear down' }).waitFor({ timeout: 15000 });
    await lab.locator('[data-testid="lab-status"][data-status="torn-down"]').waitFor({ timeout: 120000 });
    await page.locator('[data-testid="op-progress"][data-status="success"]').waitFor({ timeout: 15000 });
    assert.equal((await lab.getByTestId('lab-expires').innerText()).trim(), '—');
    const apiLab = await env.api.get(`/labs/${labId}`);
    assert.equal(apiLab.status, 'torn-down');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'lab-torn-down');

    // the release lists it as torn down
    await lab.getByTestId('lab-release-link').click();
    await section.waitFor();
    await section.getByTestId('labs-show-gone').check();
    await section.locator(`[data-testid="lab-row"][data-lab-id="${labId}"][data-status="torn-down"]`).waitFor();
    await section.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 66));
    await shot(page, 'release-labs');

    assert.equal(await page.evaluate(() => window.__noReload), true, 'the lab page never reloaded');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('links configuration items to libvirt domains with the domain picker', { timeout: 120000 }, async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);

    // a new VM CI from the release form's "New CI" mini-form
    const name = `e2e-vm-${Date.now().toString(36)}`;
    await page.goto('/#/releases/new');
    await page.getByTestId('new-ci-toggle').click();
    const mini = page.getByTestId('new-ci-form');
    await mini.getByTestId('new-ci-name').fill(name);
    await mini.getByTestId('new-ci-kind').selectOption('vm');
    await mini.locator('select[data-testid="ci-libvirt-host"]').selectOption('local'); // the picker, once the hosts are in
    const pick = mini.locator(`[data-testid="ci-domain-option"][data-domain="${VM_PREFIX}prod-db-1"]`);
    await pick.waitFor({ timeout: 20000 });
    // lab clones are not offered
    for (const d of await mini.getByTestId('ci-domain-option').evaluateAll((els) => els.map((e) => e.dataset.domain))) {
      assert.doesNotMatch(d, /^sd-lab-/);
    }
    await pick.click();
    assert.equal(await mini.getByTestId('ci-libvirt-domain').inputValue(), VM_PREFIX + 'prod-db-1');
    await mini.getByTestId('new-ci-create').click();
    await mini.waitFor({ state: 'detached' });
    const made = (await env.api.get(`/cis?q=${name}`)).items.find((c) => c.name === name);
    assert.equal(made.libvirt_host, 'local');
    assert.equal(made.libvirt_domain, VM_PREFIX + 'prod-db-1');

    // an existing CI, edited from a release's page
    const stage = (await env.api.get('/cis?q=stage-web-1')).items.find((c) => c.name === 'stage-web-1');
    const rel = await env.api.post('/releases', {
      name: `Lab link ${name}`, version: '1.0.0', type: 'minor', description: '', owner: 'e2e', environment: 'staging',
      planned_start: '2031-03-03T08:00:00Z', planned_end: '2031-03-03T09:00:00Z', changes: [], ci_ids: [stage.id], depends_on: [],
    });
    await page.goto(`/#/releases/${rel.id}`);
    const row = page.locator(`[data-testid="ci-row"][data-ci-id="${stage.id}"]`);
    await row.waitFor();
    assert.equal((await row.getByTestId('ci-libvirt').innerText()).trim(), '—');
    await page.getByTestId('labs-section').getByText('None of its configuration items is a libvirt VM yet').waitFor();
    await row.getByTestId('ci-edit').click();
    const dlg = page.getByTestId('ci-dialog');
    await dlg.locator('select[data-testid="ci-libvirt-host"]').selectOption('local'); // the picker, once the hosts are in
    await dlg.locator(`[data-testid="ci-domain-option"][data-domain="${VM_PREFIX}prod-web-2"]`).click();
    await dlg.getByTestId('ci-edit-save').click();
    await dlg.waitFor({ state: 'hidden' });
    await row.getByTestId('ci-libvirt').getByText(`local / ${VM_PREFIX}prod-web-2`).waitFor();
    await page.getByTestId('labs-section').getByText('clones its 1 libvirt VM').waitFor();
    // put it back: the other tests of this file expect it unlinked
    await env.api.patch(`/cis/${stage.id}`, { libvirt_host: '', libvirt_domain: '' });

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
