import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, uid } from './harness.js';

describe('personal API tokens', () => {
  const env = useEnv(before, after);

  it('creates a token, uses it from a script, and revokes it', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.baseURL });
    await uiLogin(page);

    // reachable from the user menu in the header
    await page.getByTestId('current-user').click();
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('tokens-page').waitFor();
    assert.match(page.url(), /#\/tokens$/);
    await page.getByTestId('tokens-page').getByText('No API tokens yet').waitFor();
    await shot(page, 'tokens-empty');

    // the server's validation message lands next to the name field
    await page.getByTestId('new-token').click();
    const dlg = page.getByTestId('token-dialog');
    await dlg.getByTestId('token-name').fill('x'.repeat(101));
    await dlg.getByTestId('token-create').click();
    const nameErr = dlg.locator('[data-testid="field-error"][data-field="name"]');
    await nameErr.waitFor();
    assert.match(await nameErr.innerText(), /100 characters/);
    assert.equal(await dlg.getByTestId('token-name').getAttribute('aria-invalid'), 'true');
    await shot(page, 'token-dialog-error');

    // Escape closes the dialog; nothing was created
    await page.keyboard.press('Escape');
    await dlg.getByTestId('token-name').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('token-row').count(), 0);

    const name = `CI pipeline ${uid()}`;
    await page.getByTestId('new-token').click();
    await dlg.getByTestId('token-name').fill(name);
    await dlg.getByTestId('token-expiry').selectOption('30');
    await dlg.getByTestId('token-create').click();

    // the secret is shown once, with a copy button and a usage example
    const box = page.getByTestId('token-secret-box');
    await box.waitFor();
    const secret = (await box.getByTestId('token-secret').innerText()).trim();
    assert.match(secret, /^sdk_[A-Za-z0-9_-]{20,}$/);
    assert.match(await box.innerText(), /will not be shown again/i);
    const usage = await box.getByTestId('token-usage').innerText();
    assert.equal(usage.trim(), `curl -H "Authorization: Bearer ${secret}" ${env.baseURL}/api/v1/releases`);
    await box.getByTestId('copy-secret').click();
    await box.getByText('Secret copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);

    const row = page.locator('[data-testid="token-row"]', { hasText: name });
    await row.waitFor();
    const rowText = await row.innerText();
    assert.ok(rowText.includes(secret.slice(0, 10)), `row shows the prefix: ${rowText}`);
    assert.match(await row.getByTestId('token-last-used').innerText(), /never/);
    const expires = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
    assert.match(await row.getByTestId('token-expires').innerText(), new RegExp(expires.slice(0, 8)));
    await shot(page, 'tokens');

    // a script uses the token
    const call = () =>
      fetch(`${env.baseURL}/api/v1/releases`, { headers: { Authorization: `Bearer ${secret}` } });
    const ok = await call();
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray((await ok.json()).items));

    // after a reload the secret is gone for good, and the list shows the use
    await page.reload();
    await row.waitFor();
    assert.equal(await page.getByTestId('token-secret-box').count(), 0);
    assert.equal(await page.getByText(secret).count(), 0);
    assert.doesNotMatch(await row.getByTestId('token-last-used').innerText(), /never/);

    // revoke: a confirm dialog; Escape backs out, the button revokes
    await row.getByTestId('token-revoke').click();
    const confirm = page.getByTestId('token-revoke-dialog');
    await confirm.getByTestId('token-revoke-confirm').waitFor();
    assert.match(await confirm.innerText(), new RegExp(name));
    await page.keyboard.press('Escape');
    await confirm.getByTestId('token-revoke-confirm').waitFor({ state: 'detached' });
    assert.equal(await row.count(), 1);

    await row.getByTestId('token-revoke').click();
    await confirm.getByTestId('token-revoke-confirm').click();
    await row.waitFor({ state: 'detached' });
    await page.getByTestId('tokens-flash').getByText('Revoked').waitFor();
    await page.getByTestId('tokens-page').getByText('No API tokens yet').waitFor();

    const refused = await call();
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.code, 'unauthorized');

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
