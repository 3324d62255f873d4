import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, createRelease, createCI, uid } from './harness.js';

// Text fields may hold HTML or script; the UI must show it as text and never run it.
describe('user text is rendered escaped', () => {
  const env = useEnv(before, after);

  it('shows markup as text on the board, list and detail, and runs no script', async () => {
    const u = uid();
    const evil = `<img src=x onerror="window.__pwned=1">Evil ${u}`;
    const ci = await createCI(env.api, { name: `<b>ci</b>-${u}`, description: '<script>window.__pwned=2</script>' });
    const rel = await createRelease(env.api, {
      name: evil,
      description: `<script>window.__pwned=3</script> and 'quotes' "; DROP TABLE releases; --`,
      ci_ids: [ci.id],
      changes: [{ rfc: `RFC-${u}`, title: '<svg onload="window.__pwned=4">', risk: 'high', link: '' }],
    });
    const page = await newPage(env.browser, env.baseURL);
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
    await uiLogin(page);

    await page.goto(`/#/releases/${rel.id}`);
    await page.getByTestId('release-detail').waitFor();
    assert.equal(await page.getByTestId('release-name').innerText(), evil);
    assert.match(await page.getByTestId('changes-table').innerText(), /<svg onload=/);
    assert.match(await page.getByTestId('cis-table').innerText(), new RegExp(`<b>ci</b>-${u}`));
    // No element was created from the text.
    assert.equal(await page.locator('[data-testid="release-detail"] img[src="x"]').count(), 0);
    assert.equal(await page.locator('[data-testid="release-detail"] svg[onload]').count(), 0);
    await shot(page, 'escaped-detail');

    await page.goto('/#/releases?q=' + encodeURIComponent(`Evil ${u}`));
    await page.getByText(evil, { exact: true }).first().waitFor();
    await page.goto('/#/board');
    await page.getByText(evil, { exact: true }).first().waitFor();

    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'a script from user text ran');
    assert.deepEqual(dialogs, []);
  });
});
