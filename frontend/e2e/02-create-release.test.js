import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, createCI, uid } from './harness.js';

describe('create a release through the form', () => {
  const env = useEnv(before, after);

  it('creates a release with two changes and two CIs, shows it on the board and detail page', async () => {
    const u = uid();
    const existing = await createCI(env.api, { name: `e2e-db-${u}`, kind: 'host', criticality: 'high' });
    // Berlin time: the form's local times must reach the server as UTC.
    const page = await newPage(env.browser, env.baseURL, { timezoneId: 'Europe/Berlin' });
    await uiLogin(page);

    await page.getByTestId('board').waitFor();
    await page.getByTestId('new-release').first().click();
    await page.getByTestId('release-form').waitFor();

    const name = `Payments platform ${u}`;
    await page.getByTestId('form-name').fill(name);
    await page.getByTestId('form-version').fill('2.4.0');
    await page.getByTestId('form-type').selectOption('major');
    await page.getByTestId('form-environment').fill('production');
    await page.getByTestId('form-owner').fill('Release Team');
    await page.getByTestId('form-description').fill('Quarterly payments release.\n<b>not bold</b>');
    await page.getByTestId('form-planned-start').fill('2031-03-10T10:00');
    await page.getByTestId('form-planned-end').fill('2031-03-10T14:30');

    // two changes
    await page.getByTestId('add-change').click();
    await page.getByTestId('add-change').click();
    const rows = page.getByTestId('change-editor-row');
    assert.equal(await rows.count(), 2);
    await rows.nth(0).getByTestId('change-rfc').fill(`RFC-${u}1`);
    await rows.nth(0).getByTestId('change-title').fill('Upgrade payment gateway');
    await rows.nth(0).getByTestId('change-risk').selectOption('high');
    await rows.nth(0).getByTestId('change-link').fill('https://tickets.example/RFC-1');
    await rows.nth(1).getByTestId('change-rfc').fill(`RFC-${u}2`);
    await rows.nth(1).getByTestId('change-title').fill('Rotate TLS certificates');

    // one CI from the catalog (search + pick) ...
    await page.getByTestId('ci-search').fill(`e2e-db-${u}`);
    const option = page.locator(`[data-testid="ci-option"][data-ci-id="${existing.id}"]`);
    await option.waitFor();
    await option.locator('input[type=checkbox]').check();
    // ... and one created inline
    await page.getByTestId('new-ci-toggle').click();
    await page.getByTestId('new-ci-form').waitFor();
    await page.getByTestId('new-ci-name').fill(`e2e-web-${u}`);
    await page.getByTestId('new-ci-kind').selectOption('vm');
    await page.getByTestId('new-ci-criticality').selectOption('medium');
    await page.getByTestId('new-ci-create').click();
    await page.getByTestId('new-ci-form').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('selected-ci').count(), 2);
    await shot(page, 'form');

    await page.getByTestId('form-submit').click();
    await page.getByTestId('release-detail').waitFor();
    await page.waitForURL(/#\/releases\/\d+$/);

    assert.equal(await page.getByTestId('release-name').innerText(), name);
    assert.equal(await page.getByTestId('release-version').innerText(), '2.4.0');
    assert.equal(await page.getByTestId('state-badge').first().getAttribute('data-state'), 'planned');
    assert.equal(await page.getByTestId('change-row').count(), 2);
    assert.equal(await page.getByTestId('ci-row').count(), 2);
    const changes = await page.getByTestId('changes-table').innerText();
    assert.match(changes, /Upgrade payment gateway/);
    assert.match(changes, /Rotate TLS certificates/);
    const cis = await page.getByTestId('cis-table').innerText();
    assert.match(cis, new RegExp(`e2e-db-${u}`));
    assert.match(cis, new RegExp(`e2e-web-${u}`));
    // the window is shown in the user's local time
    assert.match(await page.getByTestId('release-window').innerText(), /2031-03-10 10:00 → 14:30/);
    // user text is rendered as text, never as HTML
    assert.equal(await page.locator('.desc b').count(), 0);
    assert.match(await page.locator('.desc').innerText(), /<b>not bold<\/b>/);
    // risk with its reasons
    await page.getByTestId('risk-section').waitFor();
    await shot(page, 'detail');

    // stored as UTC (Berlin is UTC+1 in March)
    const id = Number(page.url().match(/releases\/(\d+)/)[1]);
    const stored = await env.api.get(`/releases/${id}`);
    assert.equal(stored.planned_start, '2031-03-10T09:00:00Z');
    assert.equal(stored.planned_end, '2031-03-10T13:30:00Z');
    assert.equal(stored.changes.length, 2);
    assert.equal(stored.cis.length, 2);

    // on the board, in the planned column
    await page.locator('nav[aria-label="Main"] >> text=Board').click();
    const card = page.locator(`[data-testid="board-column"][data-state="planned"] [data-testid="release-card"][data-release-id="${id}"]`);
    await card.waitFor();
    assert.match(await card.innerText(), new RegExp(name));
    assert.match(await card.innerText(), /major/);
    await shot(page, 'board');

    // the card opens the detail page
    await card.click();
    await page.getByTestId('release-detail').waitFor();
    assert.equal(await page.getByTestId('release-name').innerText(), name);

    // and it is in the list, found by text search
    await page.locator('nav[aria-label="Main"] >> text=Releases').click();
    await page.getByTestId('release-list').waitFor();
    await page.getByTestId('filter-q').fill(u);
    await page.locator(`[data-testid="release-row"][data-release-id="${id}"]`).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="release-row"]').length === 1);
    await page.getByTestId('filter-q').fill('');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="release-row"]').length > 1);
    // server-side sorting by name
    await page.getByTestId('sort-name').click();
    await page.waitForURL(/sort=name/);
    const expected = (await env.api.get('/releases?sort=name&order=asc&limit=50')).items.map((r) => r.name);
    await page.waitForFunction(
      (exp) => {
        const names = [...document.querySelectorAll('[data-testid="release-row"] td:first-child')].map((t) => t.textContent.trim());
        return JSON.stringify(names) === JSON.stringify(exp);
      },
      expected,
    );
    await page.getByTestId('sort-name').click();
    await page.waitForURL(/order=desc/);
    const reversed = (await env.api.get('/releases?sort=name&order=desc&limit=50')).items.map((r) => r.name);
    await page.waitForFunction(
      (exp) => {
        const names = [...document.querySelectorAll('[data-testid="release-row"] td:first-child')].map((t) => t.textContent.trim());
        return JSON.stringify(names) === JSON.stringify(exp);
      },
      reversed,
    );
    assert.match(await page.getByTestId('pager-summary').innerText(), /of \d+/);
    await shot(page, 'list');

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
