import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useEnv, newPage, uiLogin, shot, createRelease, apiClient, ADMIN_PASSWORD, OUT } from './harness.js';

// Rollouts without VMs: the demo's production CIs name libvirt domains that
// exist nowhere (a prefix of this file's own; with no libvirtd the host
// cannot even be reached), so a rollout started here fails on its first
// target and pauses for an admin, and never touches a VM of a libvirtd
// another test may have running. That is enough for the plan form, the live
// preview, the server's refusals next to their fields, the rollout page
// (paused, claimed, a target excluded, paused again, aborted) and the
// release's list of rollouts.
const PREFIX = 'sdtest-e2e18-none-';
const UNREACHABLE = /libvirt host local cannot be reached|there is no VM named/;

/** An approved release of the demo CIs named: built, a package attached, tested by hand, approved by mona. */
async function approvedRelease(env, name, ciNames) {
  const cis = (await env.api.get('/cis')).items;
  const ids = ciNames.map((n) => {
    const c = cis.find((x) => x.name === n);
    assert.ok(c, `demo CI ${n}`);
    return c.id;
  });
  const r = await createRelease(env.api, { name, ci_ids: ids });
  for (const to of ['building', 'testing']) await env.api.post(`/releases/${r.id}/transitions`, { to });
  await env.api.post('/packages/assemble', {
    release_id: r.id,
    manifest: { name: 'web-fleet', version: r.version, install: 'sh install.sh', verify: 'true', rollback: 'sh rollback.sh' },
    files: [
      { path: 'install.sh', content: 'echo installing\n', mode: '0755' },
      { path: 'rollback.sh', content: 'echo back\n', mode: '0755' },
    ],
  });
  await env.api.post(`/releases/${r.id}/evidence`, { name: 'smoke', target: 'stage-web-1', checks: [{ name: 'home page', passed: true }] });
  await env.api.post(`/releases/${r.id}/transitions`, { to: 'awaiting-approval' });
  const mona = await apiClient(env.baseURL, 'mona', ADMIN_PASSWORD);
  await mona.post(`/releases/${r.id}/approvals`, { decision: 'approve' });
  const got = await env.api.get(`/releases/${r.id}`);
  assert.equal(got.state, 'approved');
  return got;
}

async function waitSizes(page, want) {
  await page.waitForFunction(
    (w) => JSON.stringify([...document.querySelectorAll('[data-testid="rollout-preview-wave"]')].map((e) => Number(e.getAttribute('data-size')))) === w,
    JSON.stringify(want),
  );
}

describe('rollouts', () => {
  const env = useEnv(before, after, { args: ['--demo-vm-prefix', PREFIX] });
  let fleet = null;
  let rolloutId = '';

  it('a manager sees no Roll out action and the plan form says who may start one, and from which state', async () => {
    fleet = await approvedRelease(env, 'Web fleet', ['prod-web-1', 'prod-web-2', 'prod-db-1']);

    const mona = await newPage(env.browser, env.baseURL);
    await uiLogin(mona, 'mona', ADMIN_PASSWORD);
    await mona.goto(`/#/releases/${fleet.id}`);
    await mona.locator('.title-row [data-testid="state-badge"][data-state="approved"]').waitFor();
    assert.equal(await mona.getByTestId('roll-out').count(), 0);
    assert.equal(await mona.getByTestId('rollouts-new').count(), 0);
    await mona.goto(`/#/releases/${fleet.id}/rollouts/new`);
    assert.match(await mona.getByTestId('rollout-refused').innerText(), /Only an admin starts a rollout/);

    // An admin is told a release awaiting approval is not rolled out.
    const admin = await newPage(env.browser, env.baseURL);
    await uiLogin(admin);
    const waiting = (await env.api.get('/releases?limit=200')).items.find((r) => r.state === 'awaiting-approval');
    await admin.goto(`/#/releases/${waiting.id}/rollouts/new`);
    assert.match(await admin.getByTestId('rollout-refused').innerText(), /awaiting approval: only an approved release is rolled out/);
    assert.deepEqual(admin.errors, []);
  });

  it('an admin plans a rollout: the preview puts the targets in waves, a bad field is refused next to it, the summary is confirmed', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/releases/${fleet.id}`);
    await page.getByTestId('roll-out').click();
    await page.getByTestId('rollout-form').waitFor();
    await page.getByTestId('rollout-target').first().waitFor();
    assert.deepEqual(await page.getByTestId('rollout-target').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), [
      'prod-db-1',
      'prod-web-1',
      'prod-web-2',
    ]);
    // The default plan: a canary of one, then a quarter at a time (at least one).
    await waitSizes(page, [1, 1, 1]);

    // Sizes as a text: counts and percentages, the last repeating.
    await page.getByTestId('rollout-waves').fill('1, 5, 20%, 100%');
    await waitSizes(page, [1, 2]);
    assert.match(await page.getByTestId('rollout-policy').innerText(), /If more than 0 targets of a wave, or more than 0 of all targets, fail, the rollout pauses/);
    // Fewer targets, fewer waves; a policy that rolls back is said so.
    await page.locator('[data-testid="rollout-target"][data-name="prod-web-2"] input').uncheck();
    await page.getByTestId('rollout-breach-rollback').check();
    await page.getByTestId('rollout-per-wave').fill('1');
    await waitSizes(page, [1, 1]);
    await page.getByTestId('rollout-policy').filter({ hasText: /more than 1 targets of a wave.*every changed target is rolled back at once/ }).waitFor();
    await page.locator('[data-testid="rollout-target"][data-name="prod-web-2"] input').check();
    await page.getByTestId('rollout-breach-pause').check();
    await page.getByTestId('rollout-per-wave').fill('0');
    await waitSizes(page, [1, 2]);

    // The server refuses a wave of no target: its message lands under the waves.
    await page.getByTestId('rollout-waves').fill('1, 0');
    const waveErr = page.locator('[data-testid="field-error"][data-field="waves[1]"]');
    await waveErr.waitFor();
    assert.match(await waveErr.innerText(), /A wave has at least one target/);
    // What is no size at all is said before asking.
    await page.getByTestId('rollout-waves').fill('1, ten');
    await page.locator('[data-testid="field-error"][data-field="waves[1]"]').filter({ hasText: /“ten” is not a count or a percentage/ }).waitFor();
    await page.getByTestId('rollout-waves').fill('1, 5, 20%, 100%');
    await waitSizes(page, [1, 2]);
    assert.equal(await page.locator('[data-testid="field-error"][data-field^="waves"]').count(), 0);

    // An HTTP check with no scheme: the server names the row's URL.
    await page.getByTestId('rollout-http-add').click();
    await page.getByTestId('rollout-http-name').fill('home page');
    await page.getByTestId('rollout-http-url').fill('{address}/health');
    const urlErr = page.locator('[data-testid="field-error"][data-field="gate.http[0].url"]');
    await urlErr.waitFor();
    assert.match(await urlErr.innerText(), /starts with http:\/\/ or https:\/\//);
    await page.getByTestId('rollout-review').click();
    await page.getByTestId('rollout-form-banner').filter({ hasText: /fix the highlighted fields/ }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'ro-http-url-0');
    await shot(page, 'rollout-plan-error');
    await page.getByTestId('rollout-http-url').fill('http://{address}/health');
    await urlErr.waitFor({ state: 'detached' });
    await page.getByTestId('rollout-http-remove').click();
    await page.getByTestId('rollout-interval').fill('2');
    await page.getByTestId('rollout-rounds').fill('2');
    await waitSizes(page, [1, 2]);
    await page.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
    });
    await shot(page, 'rollout-plan');
    await page.screenshot({ path: path.join(OUT, 'rollout-plan-full.png'), fullPage: true });

    // The summary: the approved digest, the targets, the waves.
    await page.getByTestId('rollout-review').click();
    const summary = page.getByTestId('rollout-summary');
    await summary.waitFor();
    assert.equal(await page.getByTestId('rollout-summary-digest').innerText(), fleet.approved_digest);
    assert.equal(await page.getByTestId('rollout-summary-targets').innerText(), '3 targets: prod-db-1, prod-web-1, prod-web-2');
    // The planned window is named beside the targets.
    assert.match(await page.getByTestId('rollout-summary-window').innerText(), /2031-02-03 08:00/);
    assert.match(await page.getByTestId('rollout-window-warning').innerText(), /before the planned window/);
    assert.match(await page.getByTestId('rollout-summary-waves').innerText(), /Wave 1: prod-db-1\s+Wave 2: prod-web-1, prod-web-2/);
    await shot(page, 'rollout-confirm');
    await page.getByTestId('rollout-start').click();
    await page.getByTestId('rollout-page').waitFor();
    rolloutId = await page.getByTestId('rollout-page').getAttribute('data-rollout-id');
    assert.match(rolloutId, /^[0-9a-f]{16}$/);
    assert.deepEqual(page.errors, []);
  });

  it('the rollout page shows the first wave failing without libvirt: paused and unclaimed, claimed, a target excluded, paused again, aborted', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/rollouts/${rolloutId}`);
    const banner = page.getByTestId('rollout-claim-banner');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Paused: 1 of 1 targets failed in wave 1.*— unclaimed: claim it to decide/s);
    assert.equal(await page.getByTestId('rollout-waves').getByTestId('rollout-wave').count(), 2);
    const db = page.locator('[data-testid="rollout-tile"][data-name="prod-db-1"]');
    assert.equal(await db.getAttribute('data-state'), 'failed');
    await db.click();
    assert.match(await page.getByTestId('rollout-target-error').innerText(), UNREACHABLE);
    // Its log, streamed from the server.
    await page.getByTestId('rollout-log-line').filter({ hasText: new RegExp(`Failed: snapshot ${PREFIX}prod-db-1`) }).waitFor();
    assert.equal(await page.getByTestId('rollout-progress').getAttribute('data-done'), '1');
    await shot(page, 'rollout-paused');

    // The admin claims it; another admin is then told who decides.
    await page.getByTestId('rollout-claim').click();
    await page.getByTestId('rollout-action-confirm').click();
    await page.getByTestId('rollout-claimed-by').filter({ hasText: 'claimed by you (admin)' }).waitFor();
    const adam = await apiClient(env.baseURL, 'adam', ADMIN_PASSWORD);
    await assert.rejects(adam.post(`/rollouts/${rolloutId}/actions`, { action: 'continue' }), /409.*admin has claimed this paused rollout; they decide/);

    // The unreachable target is left out; the rollout goes on to wave 2, whose targets fail in turn.
    await page.getByTestId('rollout-exclude').click();
    await page.getByTestId('rollout-action-confirm').click();
    await db.and(page.locator('[data-state="excluded"]')).waitFor();
    await page.getByTestId('rollout-continue').click();
    await page.getByTestId('rollout-action-confirm').click();
    await banner.filter({ hasText: /Paused: 2 of 2 targets failed in wave 2/ }).waitFor();
    await page.locator('[data-testid="rollout-tile"][data-name="prod-web-2"][data-state="failed"]').waitFor();
    await page.getByTestId('rollout-log-target').selectOption({ label: 'All targets' });
    await page.getByTestId('rollout-log-line').filter({ hasText: /Resumed by admin \(continue\)/ }).waitFor();

    // Aborting needs a reason.
    await page.getByTestId('rollout-abort').click();
    await page.getByTestId('rollout-action-confirm').click();
    await page.locator('[data-testid="field-error"][data-field="reason"]').filter({ hasText: 'A reason is required.' }).waitFor();
    await page.getByTestId('rollout-action-reason').fill('libvirt is down on the production host');
    await page.getByTestId('rollout-action-confirm').click();
    await page.locator('[data-testid="rollout-page"][data-status="aborted"]').waitFor();
    assert.match(await page.getByTestId('rollout-error').innerText(), /Aborted by admin: libvirt is down on the production host/);
    assert.equal(await page.getByTestId('rollout-actions').count(), 0);
    await shot(page, 'rollout-aborted');

    // The release lists it, and failed with it.
    await page.getByTestId('rollout-release-link').click();
    const row = page.locator(`[data-testid="rollout-row"][data-rollout-id="${rolloutId}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'aborted');
    assert.match(await row.innerText(), /admin/);
    await page.locator('.title-row [data-testid="state-badge"][data-state="failed"]').waitFor();
    await page.getByTestId('rollouts-section').scrollIntoViewIfNeeded();
    await shot(page, 'release-rollouts');

    // What runs where: nothing reached prod-web-1.
    await page.locator('[data-testid="ci-row"]', { hasText: 'prod-web-1' }).getByTestId('ci-edit').click();
    await page.getByTestId('ci-installs-empty').waitFor();
    assert.match(await page.getByTestId('ci-installs').innerText(), /Deployments on this target/);
    await page.getByTestId('ci-installs').scrollIntoViewIfNeeded();
    await shot(page, 'ci-installs');
    assert.deepEqual(page.errors, []);
  });

  it('a manual target: a tester does the step by hand and marks it done with a note, and the release is deployed', async () => {
    const lb = await approvedRelease(env, 'Load balancer config', ['prod-lb-1']);
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/releases/${lb.id}/rollouts/new`);
    await page.locator('[data-testid="rollout-preview"]', { hasText: 'prod-lb-1' }).waitFor();
    await page.getByTestId('rollout-review').click();
    await page.getByTestId('rollout-summary').waitFor();
    await page.getByTestId('rollout-start').click();
    await page.getByTestId('rollout-page').waitFor();
    const tile = page.locator('[data-testid="rollout-tile"]', { hasText: 'prod-lb-1' });
    await tile.click();
    // A tester (not only an admin) may mark the step they did.
    const tess = await newPage(env.browser, env.baseURL);
    await uiLogin(tess, 'tess', ADMIN_PASSWORD);
    await tess.goto(page.url());
    await tess.locator('[data-testid="rollout-tile"]', { hasText: 'prod-lb-1' }).click();
    await tess.getByTestId('rollout-manual').waitFor();
    await tess.getByTestId('rollout-manual-done').click();
    await tess.locator('[data-testid="field-error"][data-field="note"]').waitFor();
    await tess.getByTestId('rollout-manual-note').fill('Reloaded HAProxy with the new backend list; health page green');
    await tess.getByTestId('rollout-manual-done').click();
    await tess.locator('[data-testid="rollout-page"][data-status="succeeded"]').waitFor({ timeout: 30000 });
    await shot(tess, 'rollout-manual-done');
    const got = await env.api.get(`/releases/${lb.id}`);
    assert.equal(got.state, 'deployed');
    const logs = (await env.api.get(`/rollouts/${page.url().split('/').pop()}/logs`)).items.map((l) => l.message).join('\n');
    assert.match(logs, /tess marked the install done: Reloaded HAProxy/);
    assert.deepEqual(page.errors, []);
  });

  it('a release with no target: the form and the server say why', async () => {
    const none = await approvedRelease(env, 'Documentation only', []);
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/releases/${none.id}/rollouts/new`);
    await page.getByTestId('rollout-no-targets').waitFor();
    await page.getByTestId('rollout-preview-empty').waitFor();
    await page.getByTestId('rollout-review').click();
    await page.getByTestId('rollout-summary').waitFor();
    await page.getByTestId('rollout-start').click();
    const err = page.locator('[data-testid="field-error"][data-field="targets"]');
    await err.waitFor();
    assert.match(await err.innerText(), /has no targets/);
    await shot(page, 'rollout-no-targets');
    assert.deepEqual(page.errors, []);
  });
});
