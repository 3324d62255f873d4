import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, shot, createRelease, ADMIN_PASSWORD } from './harness.js';

/** What has focus: enough to find it again and to check that it is visibly marked. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const ring = cs.boxShadow && cs.boxShadow !== 'none';
    return {
      tag: el.tagName.toLowerCase(),
      testid: el.getAttribute('data-testid') || '',
      releaseId: el.getAttribute('data-release-id') || '',
      text: (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60),
      // a visible focus indicator: an outline or a box-shadow ring
      visible: outline || !!ring,
      isMain: el.id === 'main',
    };
  });
}

/** Presses Tab until `match(focused)` is true; every stop on the way must show a focus ring. */
async function tabTo(page, match, max = 80) {
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (!f) continue;
    stops.push(f);
    assert.ok(f.visible, `focus on <${f.tag}> "${f.text}" (${f.testid}) has no visible focus indicator`);
    if (match(f)) return { stop: f, presses: i + 1, stops };
  }
  throw new Error(`not reached with ${max} Tab presses; stops: ${stops.map((s) => s.testid || s.text).join(' → ')}`);
}

describe('keyboard only', () => {
  const env = useEnv(before, after);

  it('signs in, opens a release from the board and a reason dialog without a mouse', async () => {
    // the earliest planned release, so its card comes first on the board
    const r = await createRelease(env.api, {
      name: 'Keyboard walk',
      planned_start: '2026-01-05T08:00:00Z',
      planned_end: '2026-01-05T10:00:00Z',
    });
    const page = await newPage(env.browser, env.baseURL);
    await page.goto('/');
    await page.getByTestId('login-form').waitFor();

    // the username field has focus on arrival
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'login-username');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page))?.testid, 'login-password');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByTestId('board').waitFor();
    await page.locator(`[data-testid="release-card"][data-release-id="${r.id}"]`).waitFor();

    // Tab through the header into the board until the card has focus
    const { stops } = await tabTo(page, (f) => f.testid === 'release-card' && f.releaseId === String(r.id));
    // the header comes first: skip link, brand, main navigation, user menu
    assert.ok(stops.some((s) => s.text === 'Board'));
    assert.ok(stops.some((s) => s.testid === 'current-user'));
    await shot(page, 'keyboard-card-focus');

    await page.keyboard.press('Enter');
    await page.getByTestId('release-detail').waitFor();
    assert.equal(await page.getByTestId('release-name').innerText(), 'Keyboard walk');
    assert.match(page.url(), new RegExp(`#/releases/${r.id}$`));
    // focus moved into the new screen, not back to the top of the page
    assert.ok((await focused(page))?.isMain, 'focus is on <main> after the navigation');

    // the next Tab presses reach the transition buttons; Enter opens the reason dialog
    await tabTo(page, (f) => f.testid === 'transition-cancelled', 30);
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('reason-dialog');
    await dialog.getByTestId('reason-input').waitFor();
    assert.equal((await focused(page))?.testid, 'reason-input');
    await page.keyboard.type('Typed without a mouse');
    await shot(page, 'keyboard-reason-dialog');
    await page.keyboard.press('Escape');
    await dialog.getByTestId('reason-input').waitFor({ state: 'detached' });
    // nothing moved, and focus went back to the button that opened the dialog
    assert.equal(
      await page.locator('.title-row [data-testid="state-badge"]').getAttribute('data-state'),
      'planned',
    );
    assert.equal((await focused(page))?.testid, 'transition-cancelled');
    assert.equal((await env.api.get(`/releases/${r.id}`)).state, 'planned');

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('opens the user menu with the keyboard and reaches the API tokens page', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await page.goto('/');
    await page.getByTestId('login-form').waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'login-username');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByTestId('board').waitFor();

    await tabTo(page, (f) => f.testid === 'current-user', 20);
    const button = page.getByTestId('current-user');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');

    // Enter opens it with the first item focused; Escape closes it and returns to the button
    await page.keyboard.press('Enter');
    await page.getByTestId('user-menu').waitFor();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    assert.equal((await focused(page))?.testid, 'nav-account');
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page))?.testid, 'nav-tokens');
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page))?.testid, 'nav-my-notifications');
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page))?.testid, 'sign-out');
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page))?.testid, 'nav-account');
    await shot(page, 'keyboard-user-menu');
    await page.keyboard.press('Escape');
    await page.getByTestId('user-menu').waitFor({ state: 'detached' });
    assert.equal((await focused(page))?.testid, 'current-user');

    // ArrowDown opens it too; Enter follows the link
    await page.keyboard.press('ArrowDown');
    await page.getByTestId('user-menu').waitFor();
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page))?.testid, 'nav-tokens');
    await page.keyboard.press('Enter');
    await page.getByTestId('tokens-page').waitFor();
    await page.getByTestId('user-menu').waitFor({ state: 'detached' });

    // the create dialog works from the keyboard too: Tab to the button, Enter, Escape
    await tabTo(page, (f) => f.testid === 'new-token', 20);
    await page.keyboard.press('Enter');
    await page.getByTestId('token-dialog').getByTestId('token-name').waitFor();
    assert.equal((await focused(page))?.testid, 'token-name');
    await page.keyboard.press('Escape');
    await page.getByTestId('token-dialog').getByTestId('token-name').waitFor({ state: 'detached' });
    assert.equal((await focused(page))?.testid, 'new-token');

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
