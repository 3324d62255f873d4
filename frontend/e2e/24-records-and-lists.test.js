// Screens whose plumbing is shared (lib/field-errors, lib/record, lib/paged-list),
// checked where no VM is needed: the lab form's highlighted fields and the
// server's refusals next to them, the lab and rollout pages of records that do
// not exist, the labs list, and the release list's filters in the address.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, uid, createRelease, createCI } from './harness.js';

describe('records and lists', () => {
  const env = useEnv(before, after);

  it('the lab form highlights what to fix, puts the server refusal next to its field, and its banner goes once fixed', async () => {
    // a VM CI on a host Shakedown does not know: the server refuses the lab for it, before any libvirt work
    const ci = await createCI(env.api, { libvirt_host: 'nohost-e2e', libvirt_domain: `sdtest-none-${uid()}` });
    const r = await createRelease(env.api, { ci_ids: [ci.id] });
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`${env.baseURL}/#/releases/${r.id}/labs/new`);
    const form = page.getByTestId('lab-form');
    await form.waitFor();
    await page.locator(`.crumbs a[href="#/releases/${r.id}"]`).filter({ hasText: `${r.name} ${r.version}` }).waitFor();

    // the form's own check: the field is highlighted and focused, the banner says so
    await form.getByTestId('pkg-name').fill('');
    await form.getByTestId('lab-submit').click();
    const banner = page.getByTestId('lab-form-banner');
    await banner.waitFor();
    assert.match(await banner.innerText(), /highlighted fields/);
    const nameErr = form.locator('[data-testid="field-error"][data-field="package.name"]');
    assert.match(await nameErr.innerText(), /name/i);
    assert.equal(await form.getByTestId('pkg-name').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'pkg-name');
    await form.getByTestId('pkg-name').fill('webapp 1.0');
    await nameErr.waitFor({ state: 'detached' });
    await banner.waitFor({ state: 'detached' });

    // the server's refusal of a file path: next to that field, and the banner goes once it is fixed
    const path = form.getByTestId('file-row').first().getByTestId('file-path');
    await path.fill('../install.sh');
    await form.getByTestId('lab-submit').click();
    const pathErr = form.locator('[data-testid="field-error"][data-field="package.files[0].path"]');
    await pathErr.waitFor();
    assert.match(await pathErr.innerText(), /relative/);
    assert.match(await banner.innerText(), /did not accept this lab/);
    assert.equal(await path.getAttribute('aria-invalid'), 'true');
    await path.fill('install.sh');
    await pathErr.waitFor({ state: 'detached' });
    await banner.waitFor({ state: 'detached' });

    // a refusal naming the host: next to the host's field
    await form.getByTestId('lab-submit').click();
    const hostErr = form.locator('[data-testid="field-error"][data-field="host"]');
    await hostErr.waitFor();
    assert.match(await hostErr.innerText(), /nohost-e2e is not registered/);
    assert.match(page.url(), /\/labs\/new$/);
    await shot(page, 'lab-form-refused-host');

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('the lab and rollout pages say when there is no such record; the labs list says when there is no lab', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`${env.baseURL}/#/labs/nolab${uid()}`);
    const notFound = page.getByTestId('not-found');
    await notFound.waitFor();
    assert.match(await notFound.innerText(), /Lab #nolab\w+ was not found/);
    assert.equal(await page.getByTestId('error-banner').count(), 0);

    await page.goto(`${env.baseURL}/#/rollouts/norollout${uid()}`);
    await notFound.filter({ hasText: /Rollout norollout\w+ was not found/ }).waitFor();
    assert.equal(await page.getByTestId('error-banner').count(), 0);

    await page.goto(`${env.baseURL}/#/labs`);
    const empty = page.getByTestId('labs-page-empty');
    await empty.waitFor();
    assert.match(await empty.innerText(), /No lab is running/);
    await page.getByTestId('labs-filter').selectOption('');
    await empty.locator('.empty-title').filter({ hasText: /^No lab$/ }).waitFor();

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('the release list keeps its filters in the address, and only those set', async () => {
    await createRelease(env.api); // planned
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto(`${env.baseURL}/#/releases`);
    await page.getByTestId('release-row').first().waitFor();
    assert.doesNotMatch(page.url(), /undefined|offset|limit/);
    assert.match(await page.getByTestId('pager-summary').innerText(), /^1–\d+ of \d+$/);

    await page.getByTestId('filter-state').selectOption('planned');
    await page.waitForURL(/state=planned/);
    await page.reload();
    await page.getByTestId('release-list').waitFor();
    assert.equal(await page.getByTestId('filter-state').inputValue(), 'planned');
    await page.getByTestId('release-row').first().waitFor();
    assert.equal(await page.getByTestId('error-banner').count(), 0);
    for (const row of await page.getByTestId('release-row').all()) {
      assert.equal(await row.locator('[data-testid="state-badge"]').getAttribute('data-state'), 'planned');
    }

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
