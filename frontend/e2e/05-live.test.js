import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, uid } from './harness.js';

describe('live updates', () => {
  const env = useEnv(before, after);

  it('a change made in one browser appears in another without a reload', async () => {
    const a = await newPage(env.browser, env.baseURL);
    const b = await newPage(env.browser, env.baseURL);
    await uiLogin(a);
    await uiLogin(b);
    await b.locator('[data-testid="live-indicator"][data-status="connected"]').waitFor();

    // B watches the board; A creates a release through the form
    await b.goto('/#/board');
    await b.getByTestId('board').waitFor();
    // a marker that a reload would wipe
    await b.evaluate(() => {
      window.__noReload = true;
    });

    const u = uid();
    const name = `Live release ${u}`;
    await a.goto('/#/releases/new');
    await a.getByTestId('form-name').fill(name);
    await a.getByTestId('form-version').fill('3.0.0');
    await a.getByTestId('form-environment').fill('staging');
    await a.getByTestId('form-planned-start').fill('2031-07-01T09:00');
    await a.getByTestId('form-planned-end').fill('2031-07-01T10:00');
    await a.getByTestId('form-submit').click();
    await a.getByTestId('release-detail').waitFor();
    await a.waitForURL(/#\/releases\/\d+$/);
    const id = Number(a.url().match(/releases\/(\d+)/)[1]);

    const card = b.locator(`[data-testid="board-column"][data-state="planned"] [data-testid="release-card"][data-release-id="${id}"]`);
    await card.waitFor({ timeout: 5000 });

    // A moves it; B's board moves the card
    await a.getByTestId('transition-building').click();
    await a.locator('.title-row [data-testid="state-badge"][data-state="building"]').waitFor();
    await b
      .locator(`[data-testid="board-column"][data-state="building"] [data-testid="release-card"][data-release-id="${id}"]`)
      .waitFor({ timeout: 5000 });

    // B opens the detail page; A moves it again; B's detail follows
    await card.waitFor({ state: 'detached' });
    await b.locator(`[data-testid="release-card"][data-release-id="${id}"]`).click();
    await b.getByTestId('release-detail').waitFor();
    await a.getByTestId('transition-testing').click();
    await b.locator('.title-row [data-testid="state-badge"][data-state="testing"]').waitFor({ timeout: 5000 });
    await b.getByTestId('timeline').getByText('testing').first().waitFor();

    // B on the list sees an edit A makes
    await b.evaluate((q) => {
      location.hash = '#/releases?q=' + q;
    }, u);
    await b.locator(`[data-testid="release-row"][data-release-id="${id}"]`).waitFor();
    await a.getByTestId('transition-building').click();
    await a.locator('.title-row [data-testid="state-badge"][data-state="building"]').waitFor();
    await a.getByTestId('edit-release').click();
    await a.getByTestId('form-version').fill('3.0.1');
    await a.getByTestId('form-submit').click();
    await a.getByTestId('release-detail').waitFor();
    await b.locator(`[data-testid="release-row"][data-release-id="${id}"] td.mono`, { hasText: '3.0.1' }).waitFor({ timeout: 5000 });

    // B never reloaded
    assert.equal(await b.evaluate(() => window.__noReload), true);
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    await a.context().close();
    await b.context().close();
  });
});
