import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useEnv, newPage, uiLogin, shot, createRelease, apiClient, ADMIN_PASSWORD, FRONTEND } from './harness.js';

/** Packs examples/webapp (optionally as another version) into a .tar.gz, as a tester would. */
function packExample(version) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sd-pkg-'));
  const src = path.join(dir, 'webapp');
  cpSync(path.resolve(FRONTEND, '..', 'examples', 'webapp'), src, { recursive: true });
  if (version) {
    const m = path.join(src, 'shakedown.yaml');
    writeFileSync(m, readFileSync(m, 'utf8').replaceAll('2.4.1', version));
    writeFileSync(path.join(src, 'files', 'version.txt'), version + '\n');
  }
  const out = path.join(dir, `webapp-${version || '2.4.1'}.tar.gz`);
  execFileSync('tar', ['-C', src, '-czf', out, '.']);
  return out;
}

/** Attaches a passing manual test run through the release page's form. */
async function attachRun(page, name) {
  const form = page.getByTestId('evidence-form');
  if (!(await form.isVisible())) await page.getByTestId('evidence-attach').click();
  await form.getByTestId('evidence-name').fill(name);
  await form.getByTestId('evidence-target').fill('stage-web-1');
  await form.getByTestId('evidence-check-name').first().fill('home page');
  await form.getByTestId('evidence-check-passed').first().check();
  await form.getByTestId('evidence-submit').click();
  await page.locator('[data-testid="release-evidence"]', { hasText: name }).waitFor();
}

async function state(page) {
  return page.locator('[data-testid="release-detail"] .title-row [data-testid="state-badge"]').getAttribute('data-state');
}

async function upload(page, file) {
  const current = page.getByTestId('package-current');
  const before = (await current.count()) ? await current.getAttribute('data-digest') : null;
  await page.getByTestId('package-mode-upload').click();
  await page.getByTestId('package-file').setInputFiles(file);
  await page.getByTestId('package-upload').click();
  await page.getByTestId('package-flash').waitFor();
  // The flash of an earlier upload may still show: wait for the attached package to change.
  await page.waitForFunction(
    (prev) => {
      const el = document.querySelector('[data-testid="package-current"]');
      return el && el.getAttribute('data-digest') !== prev;
    },
    before,
  );
  return current.getAttribute('data-digest');
}

describe('packages and sign-off', () => {
  const env = useEnv(before, after);

  it('a tester uploads the example package; a manager approves in another session and sees the approval void when a new package is attached', async () => {
    const r = await createRelease(env.api, { name: 'Storefront web', type: 'major' });
    const tess = await newPage(env.browser, env.baseURL);
    await uiLogin(tess, 'tess', ADMIN_PASSWORD);
    await tess.goto(`/#/releases/${r.id}`);
    await tess.getByTestId('release-detail').waitFor();
    for (const to of ['building', 'testing']) {
      await tess.getByTestId(`transition-${to}`).click();
      await tess.locator(`.title-row [data-testid="state-badge"][data-state="${to}"]`).waitFor();
    }

    // A broken archive is refused with the server's message; nothing is attached.
    const junk = path.join(mkdtempSync(path.join(tmpdir(), 'sd-junk-')), 'junk.tar.gz');
    writeFileSync(junk, 'this is not an archive');
    await tess.getByTestId('package-mode-upload').click();
    await tess.getByTestId('package-file').setInputFiles(junk);
    await tess.getByTestId('package-upload').click();
    await tess.getByText(/not a \.tar\.gz or \.zip archive/).waitFor();
    await tess.getByTestId('package-mode-upload').click(); // close the form again

    const first = await upload(tess, packExample());
    // A test run of the package through the form (managers approve only tested packages).
    await attachRun(tess, 'Smoke 2.4.1');
    assert.match(first, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await tess.getByTestId('package-name').innerText(), 'webapp');
    await tess.getByTestId('package-details-toggle').click();
    await tess.getByTestId('package-entries').waitFor();
    assert.match(await tess.getByTestId('package-details').innerText(), /files\/version\.txt/);
    await shot(tess, 'package-uploaded');
    // A lab of this release installs the stored package by default.
    await tess.goto(`/#/releases/${r.id}/labs/new`);
    await tess.getByTestId('pkg-source-stored').waitFor();
    assert.equal(await tess.getByTestId('pkg-source-stored').isChecked(), true);
    assert.match(await tess.getByTestId('pkg-source').innerText(), /webapp 2\.4\.1/);
    await tess.goto(`/#/releases/${r.id}`);
    await tess.getByTestId('release-detail').waitFor();
    await tess.getByTestId('transition-awaiting-approval').click();
    await tess.getByTestId('reason-submit').click();
    await tess.locator('.title-row [data-testid="state-badge"][data-state="awaiting-approval"]').waitFor();
    // The tester cannot sign off (and the server says why).
    assert.match(await tess.getByTestId('signoff-cannot').innerText(), /managers/i);

    // Mona, in another browser session, approves: 1 of 2 for a major release.
    const mona = await newPage(env.browser, env.baseURL);
    await uiLogin(mona, 'mona', ADMIN_PASSWORD);
    await mona.getByTestId('approvals-badge').waitFor();
    await mona.goto(`/#/releases/${r.id}`);
    await mona.getByTestId('signoff-panel').waitFor();
    // The manager sees the digest the decision binds to.
    await mona.getByTestId('signoff-digest').waitFor();
    assert.match(await mona.getByTestId('signoff-panel').innerText(), /sha256:[0-9a-f]{12}/);
    await mona.getByTestId('signoff-approve').click();
    await mona.getByTestId('decision-submit').click();
    await mona.locator('[data-testid="signoff-decision"][data-status="valid"][data-actor="mona"]').waitFor();
    await mona.getByTestId('signoff-tally').filter({ hasText: /1 of 2/ }).waitFor();
    await shot(mona, 'signoff-one-of-two');

    // Tess attaches a rebuilt package: Mona's page shows her approval void, live.
    const second = await upload(tess, packExample('2.4.2'));
    assert.notEqual(second, first);
    await attachRun(tess, 'Smoke 2.4.2');
    const voided = mona.locator('[data-testid="signoff-decision"][data-status="void"][data-actor="mona"]');
    await voided.waitFor();
    assert.match(await voided.getByTestId('decision-void-reason').innerText(), /package changed/);
    await mona.getByTestId('signoff-tally').filter({ hasText: /0 of 2/ }).waitFor();
    await shot(mona, 'signoff-void');

    // The same bytes again are the same package (idempotent), not a new one.
    const api = await apiClient(env.baseURL, 'tess', ADMIN_PASSWORD);
    const history = await api.get(`/releases/${r.id}/packages`);
    assert.equal(history.items.length, 2);
    assert.equal(history.items[0].package.digest, second);

    // Both managers approve the new package: approved for exactly that digest.
    await mona.getByTestId('signoff-approve').click();
    await mona.getByTestId('decision-submit').click();
    await mona.locator('[data-testid="signoff-decision"][data-status="valid"][data-actor="mona"]').waitFor();
    const max = await apiClient(env.baseURL, 'max', ADMIN_PASSWORD);
    await max.post(`/releases/${r.id}/approvals`, { decision: 'approve' });
    await mona.locator('.title-row [data-testid="state-badge"][data-state="approved"]').waitFor();
    await mona.getByTestId('signoff-approved').waitFor();
    const stored = await env.api.get(`/releases/${r.id}`);
    assert.equal(stored.approved_digest, second);
    // The audit trail recorded the decisions.
    const audit = await env.api.get(`/releases/${r.id}/audit`);
    assert.ok(audit.items.filter((e) => e.action === 'release.approve').length >= 3);

    assert.deepEqual(tess.errors, []);
    assert.deepEqual(mona.errors, []);
    await tess.context().close();
    await mona.context().close();
  });

  it('a rejection needs a reason and sends the release back to testing', async () => {
    const r = await createRelease(env.api, { name: 'Rejected build' });
    const tess = await apiClient(env.baseURL, 'tess', ADMIN_PASSWORD);
    for (const to of ['building', 'testing']) await tess.post(`/releases/${r.id}/transitions`, { to });
    await tess.post('/packages/assemble', {
      release_id: r.id,
      manifest: { name: 'rejected', version: '1.0', install: 'true', verify: 'true', rollback: 'true' },
      files: [{ path: 'README', content: 'x' }],
    });
    await tess.post(`/releases/${r.id}/evidence`, { name: 'Smoke', target: 'staging', checks: [{ name: 'home page', passed: true, output: '' }] });
    await tess.post(`/releases/${r.id}/transitions`, { to: 'awaiting-approval' });
    const mona = await newPage(env.browser, env.baseURL);
    await uiLogin(mona, 'mona', ADMIN_PASSWORD);
    await mona.goto(`/#/releases/${r.id}`);
    await mona.getByTestId('signoff-reject').click();
    await mona.getByTestId('decision-submit').click();
    assert.equal(await state(mona), 'awaiting-approval');
    await mona.getByTestId('decision-reason-input').fill('No rollback test in the evidence.');
    await mona.getByTestId('decision-submit').click();
    await mona.locator('.title-row [data-testid="state-badge"][data-state="testing"]').waitFor();
    assert.match(await mona.getByTestId('timeline').innerText(), /No rollback test/);
    assert.deepEqual(mona.errors, []);
    await mona.context().close();
  });
});
