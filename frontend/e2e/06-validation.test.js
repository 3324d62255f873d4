import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, uid } from './harness.js';

function fieldError(page, field) {
  return page.locator(`[data-testid="field-error"][data-field="${field}"]`);
}

describe('form validation', () => {
  const env = useEnv(before, after);

  it('shows messages next to the fields, client-side and from the server', async () => {
    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto('/#/releases/new');
    await page.getByTestId('release-form').waitFor();

    // empty form: required fields
    await page.getByTestId('form-submit').click();
    await fieldError(page, 'name').waitFor();
    await fieldError(page, 'version').waitFor();
    await fieldError(page, 'planned_start').waitFor();

    const u = uid();
    await page.getByTestId('form-name').fill(`Validation ${u}`);
    await page.getByTestId('form-version').fill('1.0.0');
    await page.getByTestId('form-environment').fill('production');
    // end before start
    await page.getByTestId('form-planned-start').fill('2031-09-10T10:00');
    await page.getByTestId('form-planned-end').fill('2031-09-10T09:00');
    await page.getByTestId('form-submit').click();
    const endErr = fieldError(page, 'planned_end');
    await endErr.waitFor();
    assert.match(await endErr.innerText(), /after the planned start/i);
    assert.equal(await fieldError(page, 'name').count(), 0);
    assert.equal(await page.getByTestId('form-planned-end').getAttribute('aria-invalid'), 'true');
    // the message sits in the same field as the input
    const sameField = await page.evaluate(() => {
      const input = document.querySelector('[data-testid="form-planned-end"]');
      const err = document.querySelector('[data-testid="field-error"][data-field="planned_end"]');
      return input.closest('.field') === err.closest('.field');
    });
    assert.ok(sameField);
    assert.match(page.url(), /#\/releases\/new$/);
    await shot(page, 'form-errors');

    // fix the window: the banner goes with the last highlighted field; now a
    // server-side error: an invalid version string
    await page.getByTestId('form-banner').waitFor();
    await page.getByTestId('form-planned-end').fill('2031-09-10T12:00');
    await page.getByTestId('form-banner').waitFor({ state: 'detached' });
    await page.getByTestId('form-version').fill('not a version!');
    await page.getByTestId('form-submit').click();
    const verErr = fieldError(page, 'version');
    await verErr.waitFor();
    assert.match(await verErr.innerText(), /version/i);
    assert.equal(await fieldError(page, 'planned_end').count(), 0);

    // server-side error on a change row: the same RFC twice → changes[1].rfc
    await page.getByTestId('form-version').fill('1.0.0');
    await page.getByTestId('add-change').click();
    await page.getByTestId('add-change').click();
    const rows = page.getByTestId('change-editor-row');
    await rows.nth(0).getByTestId('change-rfc').fill(`RFC-${u}`);
    await rows.nth(0).getByTestId('change-title').fill('First');
    await rows.nth(1).getByTestId('change-rfc').fill(`RFC-${u}`);
    await rows.nth(1).getByTestId('change-title').fill('Second');
    await page.getByTestId('form-submit').click();
    const rowErr = rows.nth(1).locator('[data-testid="field-error"][data-field="changes[1].rfc"]');
    await rowErr.waitFor();
    assert.match(await rowErr.innerText(), /twice/i);
    await shot(page, 'form-server-error');

    // fixing it clears the banner, and saves
    await page.getByTestId('form-banner').waitFor();
    await rows.nth(1).getByTestId('change-rfc').fill(`RFC-${u}b`);
    await page.getByTestId('form-banner').waitFor({ state: 'detached' });
    await page.getByTestId('form-submit').click();
    await page.getByTestId('release-name').waitFor();
    await page.getByTestId('change-row').nth(1).waitFor();
    assert.equal(await page.getByTestId('change-row').count(), 2);

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
