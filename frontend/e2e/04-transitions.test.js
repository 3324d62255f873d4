import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, createRelease, apiClient, ADMIN_PASSWORD } from './harness.js';

async function stateOf(page) {
  return page.locator('[data-testid="release-detail"] .title-row [data-testid="state-badge"]').getAttribute('data-state');
}

// Moves that ask others to act or cannot be undone are confirmed in a dialog.
const CONFIRMED = ['awaiting-approval', 'deploying', 'closed'];

async function move(page, to) {
  await page.getByTestId(`transition-${to}`).click();
  if (CONFIRMED.includes(to)) {
    await page.getByTestId('reason-dialog').getByTestId('confirm-text').waitFor();
    await page.getByTestId('reason-submit').click();
  }
  await page.locator(`[data-testid="release-detail"] .title-row [data-testid="state-badge"][data-state="${to}"]`).waitFor();
}

describe('lifecycle transitions', () => {
  const env = useEnv(before, after);

  it('moves a release through its states with the buttons; reject needs a reason', async () => {
    // Staging: its default duties let the admin who requested the release
    // approve and deploy it (production does not: see the next test).
    const r = await createRelease(env.api, { name: 'Lifecycle walk', environment: 'staging' });
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/releases/${r.id}`);
    await page.getByTestId('release-detail').waitFor();
    assert.equal(await stateOf(page), 'planned');
    await page.getByTestId('edit-release').waitFor();

    await move(page, 'building');
    await move(page, 'testing');
    // testing is not editable
    assert.equal(await page.getByTestId('edit-release').count(), 0);
    await move(page, 'awaiting-approval');

    // Approved and rejected are not plain transitions: sign-off decides them.
    assert.equal(await page.getByTestId('transition-approved').count(), 0);
    assert.equal(await page.getByTestId('transition-rejected').count(), 0);
    // A tester builds the package; the admin (a manager too) did not, so may decide.
    const tess = await apiClient(env.baseURL, 'tess', ADMIN_PASSWORD);
    await tess.post('/packages/assemble', {
      release_id: r.id,
      manifest: { name: 'lifecycle', version: '1.0', install: 'true', verify: 'true', rollback: 'true' },
      files: [{ path: 'README', content: 'walk' }],
    });
    await tess.post(`/releases/${r.id}/evidence`, { name: 'Smoke', target: 'staging', checks: [{ name: 'home page', passed: true, output: '' }] });

    // reject: the dialog asks for a reason, and an empty one is refused
    await page.getByTestId('signoff-reject').click();
    await page.getByTestId('decision-submit').click();
    await page.getByTestId('decision-reason-input').waitFor();
    assert.equal(await stateOf(page), 'awaiting-approval');
    await shot(page, 'reject-reason');
    // Escape closes the dialog without deciding
    await page.keyboard.press('Escape');
    await page.getByTestId('decision-reason-input').waitFor({ state: 'detached' });
    assert.equal(await stateOf(page), 'awaiting-approval');

    await page.getByTestId('signoff-reject').click();
    await page.getByTestId('decision-reason-input').fill('Test evidence incomplete: no load test.');
    await page.getByTestId('decision-submit').click();
    // a rejection sends the release back to testing
    await page.locator('.title-row [data-testid="state-badge"][data-state="testing"]').waitFor();
    const timeline = page.getByTestId('timeline');
    assert.match(await timeline.innerText(), /no load test/);

    // back through the gates and all the way to closed
    await move(page, 'awaiting-approval');
    await page.getByTestId('signoff-approve').click();
    await page.getByTestId('decision-submit').click();
    await page.locator('.title-row [data-testid="state-badge"][data-state="approved"]').waitFor();
    await move(page, 'deploying');
    await move(page, 'deployed');
    await page.getByTestId('review-form').waitFor();
    await page.getByTestId('review-submit').click();
    await page.locator('.title-row [data-testid="state-badge"][data-state="reviewed"]').waitFor();
    await move(page, 'closed');
    assert.match(await page.getByTestId('next-step-text').innerText(), /Closed: nothing more to do/);
    assert.ok((await page.getByTestId('timeline-entry').count()) >= 12);
    // the audit trail on the page has the transitions
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length >= 12);
    await shot(page, 'detail-closed');

    // the server agrees
    const stored = await env.api.get(`/releases/${r.id}`);
    assert.equal(stored.state, 'closed');
    assert.ok(stored.transitions.some((t) => t.to === 'rejected' && /no load test/.test(t.reason)));

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('in production the requester cannot approve their own release, and the sign-off panel says why', async () => {
    const r = await createRelease(env.api, { name: 'Requester approves?' });
    for (const to of ['building', 'testing', 'awaiting-approval']) await env.api.post(`/releases/${r.id}/transitions`, { to });
    const tess = await apiClient(env.baseURL, 'tess', ADMIN_PASSWORD);
    await tess.post('/packages/assemble', {
      release_id: r.id,
      manifest: { name: 'duties', version: '1.0', install: 'true', verify: 'true', rollback: 'true' },
      files: [{ path: 'README', content: 'duties' }],
    });
    await tess.post(`/releases/${r.id}/evidence`, { name: 'Smoke', target: 'staging', checks: [{ name: 'home page', passed: true, output: '' }] });
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`/#/releases/${r.id}`);
    await page.getByTestId('signoff-panel').waitFor();
    assert.match(await page.getByTestId('signoff-cannot').innerText(), /You requested this release/);
    assert.match(await page.getByTestId('signoff-duties').innerText(), /requester .* does not approve it/);
    assert.equal(await page.getByTestId('signoff-approve').count(), 0);
    await shot(page, 'signoff-requester');
  });

  it('shows the server message when a transition is refused', async () => {
    const r = await createRelease(env.api, { name: 'Refused transition' });
    const page = await newPage(env.browser, env.baseURL);
    // No live events for this page, so it keeps showing the stale state.
    await page.routeWebSocket(/\/api\/v1\/events/, () => {});
    await uiLogin(page);
    await page.goto(`/#/releases/${r.id}`);
    await page.getByTestId('transition-building').waitFor();
    // Nor may a reload (the events client reconnecting) refresh it.
    await page.route(`**/api/v1/releases/${r.id}`, (route) => (route.request().method() === 'GET' ? route.abort() : route.continue()));
    await env.api.post(`/releases/${r.id}/transitions`, { to: 'cancelled', reason: 'Descoped' });
    await page.getByTestId('transition-building').click();
    const err = page.getByTestId('action-error');
    await err.waitFor();
    assert.match(await err.innerText(), /cancelled/);
    await page.context().close();
  });
});
