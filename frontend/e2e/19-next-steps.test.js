// Every step says what comes next for the person looking, and nothing
// irreversible happens on one click; the calendar's week is an hourly grid
// that shows every occurrence of a recurring freeze.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, createRelease, apiClient, ADMIN_PASSWORD } from './harness.js';

const badge = (page, state) => page.locator(`.title-row [data-testid="state-badge"][data-state="${state}"]`);

async function byName(api, name) {
  const res = await api.get(`/releases?q=${encodeURIComponent(name)}`);
  return res.items.find((r) => r.name === name);
}

describe('next steps and confirmations', () => {
  const env = useEnv(before, after);

  it('the header says what comes next per role; requesting approval carries a note, and the requester withdraws it', async () => {
    const tessApi = await apiClient(env.baseURL, 'tess', ADMIN_PASSWORD);
    const r = await createRelease(tessApi, { name: 'Next step walk' });

    const tess = await newPage(env.browser, env.baseURL);
    await uiLogin(tess, 'tess', ADMIN_PASSWORD);
    await tess.goto(`/#/releases/${r.id}`);
    await tess.getByTestId('next-step').waitFor();
    assert.match(await tess.getByTestId('next-step-text').innerText(), /Next: start the build/);
    assert.equal(await tess.getByTestId('next-step').getAttribute('data-yours'), 'true');

    const mona = await newPage(env.browser, env.baseURL);
    await uiLogin(mona, 'mona', ADMIN_PASSWORD);
    await mona.goto(`/#/releases/${r.id}`);
    await mona.getByTestId('next-step').waitFor();
    assert.match(await mona.getByTestId('next-step-text').innerText(), /Planned: a tester starts the build/);
    assert.equal(await mona.getByTestId('next-step').getAttribute('data-yours'), 'false');

    // In testing, the button that moves back says so.
    await tessApi.post(`/releases/${r.id}/transitions`, { to: 'building' });
    await tessApi.post(`/releases/${r.id}/transitions`, { to: 'testing' });
    await badge(tess, 'testing').waitFor();
    assert.equal((await tess.getByTestId('transition-building').innerText()).trim(), 'Back to building');
    assert.match(await tess.getByTestId('next-step-text').innerText(), /attach the release package, test it in a lab, then request approval/);

    // Request approval: confirmed, with an optional note to the approvers.
    await tess.getByTestId('transition-awaiting-approval').click();
    const dialog = tess.getByTestId('reason-dialog');
    await dialog.getByTestId('confirm-text').waitFor();
    assert.match(await dialog.getByTestId('confirm-text').innerText(), /managers are asked to sign off/);
    assert.match(await dialog.getByTestId('confirm-warning').innerText(), /No release package/);
    await dialog.getByTestId('reason-input').fill('Please check the rollback script timing.');
    await shot(tess, 'request-approval-confirm');
    await dialog.getByTestId('reason-submit').click();
    await badge(tess, 'awaiting-approval').waitFor();
    assert.match(await tess.getByTestId('next-step-text').innerText(), /Waiting for the managers’ sign-off/);
    assert.equal((await tess.getByTestId('transition-testing').innerText()).trim(), 'Withdraw request…');

    // The manager sees the sign-off is due, with the requester's note; no withdraw button.
    await badge(mona, 'awaiting-approval').waitFor();
    assert.match(await mona.getByTestId('next-step-text').innerText(), /Sign-off due/);
    assert.equal(await mona.getByTestId('next-step-detail').innerText(), 'tess: “Please check the rollback script timing.”');
    assert.equal(await mona.getByTestId('transition-testing').count(), 0);
    await shot(mona, 'next-step-signoff-due');
    // The approvals inbox shows the note too.
    await mona.goto('/#/approvals');
    const row = mona.locator(`[data-testid="inbox-row"][data-release-id="${r.id}"]`);
    assert.equal(await row.getByTestId('inbox-request-note').innerText(), 'tess: “Please check the rollback script timing.”');

    // Only the requester may withdraw, and the server says so.
    const adminApi = env.api; // admin holds the tester role too, but did not ask
    await assert.rejects(adminApi.post(`/releases/${r.id}/transitions`, { to: 'testing' }), /403.*only they may withdraw/);

    // The requester withdraws: confirmed too.
    await tess.getByTestId('transition-testing').click();
    await dialog.getByTestId('confirm-text').waitFor();
    assert.match(await dialog.getByTestId('confirm-text').innerText(), /Approvals given so far no longer count/);
    await dialog.getByTestId('reason-submit').click();
    await badge(tess, 'testing').waitFor();
    const stored = await env.api.get(`/releases/${r.id}`);
    assert.equal(stored.state, 'testing');
    assert.ok(stored.transitions.some((t) => t.to === 'awaiting-approval' && t.reason === 'Please check the rollback script timing.'));

    // A rejected release tells the tester why.
    const rejected = await byName(env.api, 'Kernel Live Patch');
    await tess.goto(`/#/releases/${rejected.id}`);
    await tess.getByTestId('next-step-detail').waitFor();
    assert.match(await tess.getByTestId('next-step-text').innerText(), /Rejected: fix what the managers asked/);
    assert.match(await tess.getByTestId('next-step-detail').innerText(), /No rollback plan/);

    assert.deepEqual(tess.errors, []);
    assert.deepEqual(mona.errors, []);
    await tess.context().close();
    await mona.context().close();
  });

  it('review due leads to the review form; publishing notes and starting a deployment are confirmed, the window warned about', async () => {
    const billing = await byName(env.api, 'Billing Engine');
    assert.equal(billing.state, 'deployed');
    const mona = await newPage(env.browser, env.baseURL);
    await uiLogin(mona, 'mona', ADMIN_PASSWORD);
    await mona.goto(`/#/releases/${billing.id}`);
    await mona.getByTestId('next-step').waitFor();
    assert.equal(await mona.getByTestId('next-step-text').innerText(), 'Review due: record the post-implementation review.');
    await shot(mona, 'next-step-review-due');
    await mona.getByTestId('next-step-go').click();
    await mona.getByTestId('review-form').waitFor();
    await mona.waitForFunction(() => !!document.activeElement?.closest('#step-review'));

    // Publishing the notes asks first; Back publishes nothing.
    await mona.getByTestId('notes-publish').click();
    const pub = mona.getByTestId('notes-publish-dialog');
    await pub.getByText(/final/).waitFor();
    await pub.getByRole('button', { name: 'Back' }).click();
    assert.equal(await mona.getByTestId('notes-published-badge').count(), 0);
    await mona.getByTestId('notes-publish').click();
    await mona.getByTestId('notes-publish-confirm').click();
    await mona.getByTestId('notes-published-badge').waitFor();
    await mona.context().close();

    // Starting a deployment names the targets and the window, and warns outside it.
    const reporting = await byName(env.api, 'Reporting');
    assert.equal(reporting.state, 'approved');
    const admin = await newPage(env.browser, env.baseURL);
    await uiLogin(admin);
    await admin.goto(`/#/releases/${reporting.id}`);
    assert.match(await admin.getByTestId('next-step-text').innerText(), /roll the approved package out/);
    await admin.getByTestId('transition-deploying').click();
    const dialog = admin.getByTestId('reason-dialog');
    await dialog.getByTestId('confirm-text').waitFor();
    assert.match(await dialog.getByTestId('confirm-text').innerText(), /to 1 target: prod-db-1\. Planned window:/);
    assert.match(await dialog.getByTestId('confirm-warning').innerText(), /before the planned window/);
    await shot(admin, 'start-deployment-confirm');
    await dialog.getByRole('button', { name: 'Back' }).click();
    assert.equal((await env.api.get(`/releases/${reporting.id}`)).state, 'approved');
    assert.deepEqual(admin.errors, []);
    await admin.context().close();
  });

  it('the week is an hourly grid, and a weekly freeze shows on every weekend of the month', async () => {
    const f = await env.api.post('/freezes', { name: 'Weekend freeze', reason: 'No weekend changes', environment: '', start: '2031-03-01T00:00:00Z', end: '2031-03-03T00:00:00Z', recurrence: 'weekly' });
    const r = await createRelease(env.api, { name: 'Grid release', planned_start: '2031-03-12T09:00:00Z', planned_end: '2031-03-12T11:30:00Z' });
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto('/#/calendar?view=month&date=2031-03-12');
    await page.getByTestId('calendar').waitFor();
    const local = (iso) => {
      const d = new Date(iso);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    // Every Saturday of March 2031 (1, 8, 15, 22, 29) is frozen, not only the first.
    for (const sat of ['01', '08', '15', '22', '29']) {
      await page.locator(`[data-testid="cal-day"][data-date="${local(`2031-03-${sat}T12:00:00Z`)}"] [data-testid="cal-freeze"]`).first().waitFor();
    }
    assert.equal(await page.locator(`[data-testid="cal-day"][data-date="${local('2031-03-12T12:00:00Z')}"] [data-testid="cal-freeze"]`).count(), 0);

    await page.getByTestId('cal-view-week').click();
    await page.getByTestId('cal-week-grid').waitFor();
    assert.equal(await page.getByTestId('cal-day').count(), 7);
    const chip = page.locator(`[data-testid="cal-day"][data-date="${local('2031-03-12T09:00:00Z')}"] [data-testid="cal-release"][data-release-id="${r.id}"]`);
    await chip.waitFor();
    // placed by the hour: top at its start, height its 2.5 hours (40 px an hour)
    const start = new Date('2031-03-12T09:00:00Z');
    const box = await chip.evaluate((el) => ({ top: parseFloat(el.style.top), height: parseFloat(el.style.height) }));
    assert.equal(box.top, (start.getHours() + start.getMinutes() / 60) * 40);
    assert.equal(box.height, 100);
    // the weekend at the end of the week is shaded, with its name in the day's head
    await page.locator(`[data-testid="cal-day"][data-date="${local('2031-03-15T12:00:00Z')}"] [data-testid="cal-freeze"]`).first().waitFor();
    await page.getByTestId('cal-freeze-head').filter({ hasText: 'Weekend freeze' }).first().waitFor();
    await shot(page, 'calendar-week-grid');
    await env.api.del(`/freezes/${f.id}`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
