import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, createRelease, apiClient, ADMIN_PASSWORD, OUT } from './harness.js';
import path from 'node:path';

const manifest = (version) => ({ name: 'webapp', version, install: 'sh install.sh', verify: 'sh verify.sh', rollback: 'sh rollback.sh', files: [], health_checks: [] });

async function assemble(api, releaseId, version, install, extra = []) {
  return api.post('/packages/assemble', {
    release_id: releaseId,
    manifest: manifest(version),
    files: [
      { path: 'install.sh', content: install },
      { path: 'verify.sh', content: 'wget -q -O - http://127.0.0.1/version.txt | grep -q ' + version + '\n' },
      { path: 'rollback.sh', content: 'true\n' },
      ...extra,
    ],
  });
}

async function run(api, releaseId, target, checks) {
  return api.post(`/releases/${releaseId}/evidence`, { name: 'Smoke', target, checks });
}

/** Waits until a check on the API holds. */
async function until(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('decisions on one screen', () => {
  const env = useEnv(before, after);

  it('the sign-off compares the package with what runs on the targets of the release now', async () => {
    const api = env.api;
    const lb = (await api.get('/cis')).items.find((c) => c.name === 'prod-lb-1');
    assert.ok(lb, 'demo CI prod-lb-1 (a manual target)');
    // An earlier release put haproxy.cfg 1 on prod-lb-1 (a manual step marked done).
    const first = await createRelease(api, { name: 'LB config', ci_ids: [lb.id] });
    for (const to of ['building', 'testing']) await api.post(`/releases/${first.id}/transitions`, { to });
    const cfg = (n) => `global\n  maxconn ${n}\nbackend web\n  server web-1 10.0.0.11:80\n`;
    const running = await api.post('/packages/assemble', { release_id: first.id, manifest: manifest('1'), files: [
      { path: 'install.sh', content: 'cp haproxy.cfg /etc/haproxy/\n' }, { path: 'verify.sh', content: 'true\n' }, { path: 'rollback.sh', content: 'true\n' },
      { path: 'haproxy.cfg', content: cfg(2000) }] });
    await run(api, first.id, 'stage-lb', [{ name: 'config check', passed: true }]);
    await api.post(`/releases/${first.id}/transitions`, { to: 'awaiting-approval' });
    await (await apiClient(env.baseURL, 'mona', ADMIN_PASSWORD)).post(`/releases/${first.id}/approvals`, { decision: 'approve' });
    const ro = await api.post(`/releases/${first.id}/rollouts`, { digest: running.digest, plan: { strategy: 'big-bang', max_parallel: 1,
      gate: { interval_seconds: 1, rounds: 1 }, failure_policy: { per_wave: 0, total: 0, trip: 'exceeded', on_breach: 'pause' }, wave_deadline_minutes: 30 } });
    await until('the manual step to wait', async () => (await api.get(`/rollouts/${ro.id}`)).targets.some((t) => t.state === 'installing'));
    await api.post(`/rollouts/${ro.id}/targets/${lb.id}/step`, { step: 'install', outcome: 'done', note: 'copied by hand' });
    await until('the release to be deployed', async () => (await api.get(`/releases/${first.id}`)).state === 'deployed');

    // The next release changes the config; its sign-off shows the diff against what runs.
    const next = await createRelease(api, { name: 'LB config', ci_ids: [lb.id] });
    for (const to of ['building', 'testing']) await api.post(`/releases/${next.id}/transitions`, { to });
    await api.post('/packages/assemble', { release_id: next.id, manifest: manifest('2'), files: [
      { path: 'install.sh', content: 'cp haproxy.cfg /etc/haproxy/\n' }, { path: 'verify.sh', content: 'true\n' }, { path: 'rollback.sh', content: 'true\n' },
      { path: 'haproxy.cfg', content: cfg(4000) }] });
    await run(api, next.id, 'stage-lb', [{ name: 'config check', passed: true }]);
    await api.post(`/releases/${next.id}/transitions`, { to: 'awaiting-approval' });

    const mona = await newPage(env.browser, env.baseURL);
    await uiLogin(mona, 'mona', ADMIN_PASSWORD);
    await mona.goto(`/#/releases/${next.id}`);
    const changes = mona.getByTestId('signoff-changes');
    await changes.getByTestId('changes-base').waitFor();
    assert.equal(await changes.getByTestId('changes-base').getAttribute('data-kind'), 'running', 'what runs is shown first');
    assert.match(await changes.getByTestId('changes-base-label').innerText(), /^\(running on prod-lb-1 now, installed by release LB config/);
    const file = changes.locator('[data-testid="changes-diff-file"][data-path="haproxy.cfg"]');
    assert.deepEqual(await file.locator('.dl[data-op="-"]').allInnerTexts(), ['-  maxconn 2000']);
    assert.deepEqual(await file.locator('.dl[data-op="+"]').allInnerTexts(), ['+  maxconn 4000']);
    await changes.scrollIntoViewIfNeeded();
    await shot(mona, 'decide-changes-running');
    assert.deepEqual(mona.errors, []);
  });

  it('a manager sees what changed, how it was tested (a grid), one evidence count, and the inbox says the evidence and the window', async () => {
    const api = env.api;
    const r = await createRelease(api, { name: 'Checkout service', type: 'minor' });
    for (const to of ['building', 'testing']) await api.post(`/releases/${r.id}/transitions`, { to });
    await assemble(api, r.id, '3.1.0', 'echo installing 3.1.0\ncp app /opt/checkout/\n');
    await run(api, r.id, 'qa-web-1', [{ name: 'home page', passed: true }]);
    const v2 = await assemble(api, r.id, '3.2.0', 'echo installing 3.2.0\ncp app /opt/checkout/\nsystemctl restart checkout\n', [
      { path: 'app', content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 4, 5]).toString('base64'), encoding: 'base64' },
    ]);
    await run(api, r.id, 'qa-web-1', [{ name: 'home page', passed: true }, { name: 'login', passed: false, output: 'HTTP 500 from /login' }]);
    await run(api, r.id, 'qa-web-2', [{ name: 'home page', passed: true }, { name: 'login', passed: true }]);
    await run(api, r.id, 'qa-web-1', [{ name: 'home page', passed: true }, { name: 'login', passed: true }]);
    await api.post(`/releases/${r.id}/transitions`, { to: 'awaiting-approval' });

    const mona = await newPage(env.browser, env.baseURL);
    await uiLogin(mona, 'mona', ADMIN_PASSWORD);
    await mona.goto(`/#/releases/${r.id}`);
    const panel = mona.getByTestId('signoff-panel');
    await panel.waitFor();

    // What changed: the diff against the previous package opens first.
    const changes = panel.getByTestId('signoff-changes');
    await changes.getByTestId('changes-base').waitFor();
    assert.equal(await changes.getByTestId('changes-base').getAttribute('data-kind'), 'previous');
    const script = changes.locator('[data-testid="changes-diff-file"][data-path="install.sh"]');
    assert.equal(await script.getAttribute('data-change'), 'changed');
    assert.deepEqual(await script.locator('.dl[data-op="+"]').allInnerTexts(), ['+echo installing 3.2.0', '+systemctl restart checkout']);
    assert.deepEqual(await script.locator('.dl[data-op="-"]').allInnerTexts(), ['-echo installing 3.1.0']);
    assert.equal(await changes.locator('[data-testid="changes-diff-file"][data-path="app"]').getAttribute('data-change'), 'added');
    assert.match(await changes.getByTestId('changes-counts').innerText(), /3 changed, 1 added, 1 unchanged/);
    await panel.scrollIntoViewIfNeeded();
    await changes.scrollIntoViewIfNeeded();
    await shot(mona, 'decide-changes-diff');

    // The files: scripts readable inline, the binary as its size.
    await changes.getByTestId('changes-tab-files').click();
    const install = changes.locator('[data-testid="changes-file"][data-path="install.sh"]');
    assert.match(await install.getByTestId('changes-file-text').innerText(), /systemctl restart checkout/);
    assert.match(await changes.locator('[data-testid="changes-file"][data-path="app"]').innerText(), /binary, 10 B/);
    await shot(mona, 'decide-changes-files');

    // The testing summary and the grid: the failing check opens on its failure.
    const testing = panel.getByTestId('signoff-testing');
    const summary = await testing.getByTestId('testing-summary').innerText();
    assert.match(summary, /Tested by admin/);
    assert.match(summary, /on 2 VMs \(qa-web-1, qa-web-2\), 3 test runs/);
    const login = testing.locator('[data-testid="grid-row"][data-name="Smoke: login"]');
    assert.equal(await login.getAttribute('data-open'), 'true');
    assert.equal(await login.locator('[data-testid="grid-cell"][data-vm="qa-web-1"]').innerText(), '✕ 1 of 2');
    assert.equal(await login.locator('[data-testid="grid-cell"][data-vm="qa-web-2"]').innerText(), '✓ 1');
    const home = testing.locator('[data-testid="grid-row"][data-name="Smoke: home page"]');
    assert.equal(await home.getAttribute('data-open'), 'false');
    assert.equal(await home.locator('td.num').innerText(), '3');
    assert.match(await testing.getByTestId('grid-stdout').innerText(), /HTTP 500 from \/login/);
    await testing.scrollIntoViewIfNeeded();
    await shot(mona, 'decide-testing-grid');

    // One count: the panel and the approve dialog say the same, and which package.
    const count = panel.getByTestId('signoff-package-evidence');
    assert.equal(await count.getAttribute('data-count'), '6');
    assert.equal(await count.innerText(), '6 evidence records taken with this package');
    assert.match(await panel.getByTestId('signoff-earlier-evidence').innerText(), /1 more taken with earlier packages do not count for this one/);
    await panel.getByTestId('signoff-approve').click();
    const dialog = mona.getByTestId('decision-dialog');
    const said = dialog.getByTestId('decision-evidence');
    assert.equal(await said.getAttribute('data-count'), '6');
    assert.match(await said.innerText(), /6 evidence records taken with this package \(5 passed, 1 failed\); 1 more taken with earlier packages do not count for this one/);
    assert.equal(await dialog.getByTestId('decision-digest').innerText().then((t) => t.includes(v2.digest.slice(7, 19))), true);
    await shot(mona, 'decide-approve-dialog');
    await dialog.getByRole('button', { name: 'Back' }).click();

    // The release page's evidence: a grid per package, the earlier one folded.
    const section = mona.getByTestId('release-evidence');
    await section.locator('[data-testid="grid-package"][data-current="true"]').waitFor();
    assert.equal(await section.locator('[data-testid="grid-package"][data-current="false"]').count(), 1);
    // the section's totals say they cover every package; the current package's count is the panel's
    assert.equal(await section.getByTestId('release-evidence-scope').innerText(), 'with all 2 packages');
    assert.equal(await section.getByTestId('grid-package-count').first().innerText(), '6 records');
    assert.equal(await section.locator('[data-testid="evidence-grid"] [data-testid="grid-row"]').count(), 2);
    await section.scrollIntoViewIfNeeded();
    await shot(mona, 'decide-release-grid');
    await section.getByTestId('evidence-view-records').click();
    assert.equal(await section.getByTestId('evidence-row').count(), 7);

    // The inbox: the evidence of the package awaiting approval and the planned window.
    await mona.goto('/#/approvals');
    const row = mona.locator(`[data-testid="inbox-row"][data-release-id="${r.id}"]`);
    await row.waitFor();
    const ev = row.getByTestId('inbox-evidence');
    assert.equal(await ev.getAttribute('data-passed'), '5');
    assert.equal(await ev.getAttribute('data-failed'), '1');
    assert.match(await row.getByTestId('inbox-window').innerText(), /3 Feb 2031 08:00–12:00/);
    await shot(mona, 'decide-inbox');

    // The approval records the same count, and says which package it was.
    await mona.goto(`/#/releases/${r.id}`);
    await mona.getByTestId('signoff-approve').click();
    await mona.getByTestId('decision-reason-input').fill('The login failure was a stale session on qa-web-1; it passed on the rerun.');
    await mona.getByTestId('decision-submit').click();
    const decision = mona.locator('[data-testid="signoff-decision"][data-actor="mona"]');
    await decision.waitFor({ state: 'attached' });
    // once approved the panel is compact: the decisions are folded
    await mona.getByTestId('signoff-panel').locator('details.more summary', { hasText: 'Decisions' }).click();
    assert.equal(await decision.getByTestId('decision-package-evidence').innerText(), '6 evidence records taken with it');

    // The report: the same grid and count, and its tables stay within an A4 page.
    const report = await newPage(env.browser, env.baseURL);
    await uiLogin(report, 'mona', ADMIN_PASSWORD);
    await report.goto(`/api/v1/releases/${r.id}/report`);
    const text = await report.locator('body').innerText();
    assert.match(text, /6 evidence records taken with the current package/);
    assert.match(text, /With an earlier package/);
    assert.match(text, /6 evidence records taken with it/);
    await report.emulateMedia({ media: 'print' });
    await report.setViewportSize({ width: 718, height: 1000 }); // A4 less 14 mm margins at 96 dpi
    const overflow = await report.evaluate(() =>
      [...document.querySelectorAll('table')].filter((t) => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length,
    );
    assert.equal(overflow, 0, 'a table runs past the printed page');
    await report.locator('table.grid').first().scrollIntoViewIfNeeded();
    await report.screenshot({ path: path.join(OUT, 'decide-report-print.png') });
    assert.deepEqual(mona.errors, []);
  });
});
