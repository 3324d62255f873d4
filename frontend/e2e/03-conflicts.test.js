import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, newPage, uiLogin, shot, createCI, createRelease, uid } from './harness.js';

describe('conflicts', () => {
  const env = useEnv(before, after);

  it('flags a freeze window and a CI overlap on the detail page and the calendar', async () => {
    const u = uid();
    const freeze = await env.api.post('/freezes', {
      name: `Spring freeze ${u}`,
      reason: 'Quarter-end close',
      start: '2031-05-10T00:00:00Z',
      end: '2031-05-12T00:00:00Z',
      recurrence: 'none',
      environment: '',
    });
    const ci = await createCI(env.api, { name: `e2e-shared-${u}` });
    const other = await createRelease(env.api, {
      name: `Other release ${u}`,
      planned_start: '2031-05-11T10:00:00Z',
      planned_end: '2031-05-11T12:00:00Z',
      ci_ids: [ci.id],
    });

    const page = await newPage(env.browser, env.baseURL);
    await uiLogin(page);
    await page.goto('/#/releases/new');
    await page.getByTestId('release-form').waitFor();
    const name = `Overlapping release ${u}`;
    await page.getByTestId('form-name').fill(name);
    await page.getByTestId('form-version').fill('1.2.3');
    await page.getByTestId('form-environment').fill('production');
    await page.getByTestId('form-planned-start').fill('2031-05-11T11:00');
    await page.getByTestId('form-planned-end').fill('2031-05-11T13:00');
    await page.getByTestId('ci-search').fill(ci.name);
    const option = page.locator(`[data-testid="ci-option"][data-ci-id="${ci.id}"] input`);
    await option.check();
    await page.getByTestId('form-submit').click();
    await page.getByTestId('release-detail').waitFor();
    await page.waitForURL(/#\/releases\/\d+$/);
    const id = Number(page.url().match(/releases\/(\d+)/)[1]);

    // detail: both conflicts listed, the overlap links to the other release
    const section = page.getByTestId('conflicts-section');
    await section.locator('[data-testid="conflict"][data-kind="freeze"]').waitFor();
    await section.locator('[data-testid="conflict"][data-kind="ci_overlap"]').waitFor();
    assert.match(await section.innerText(), new RegExp(`Spring freeze ${u}`));
    const link = section.locator(`[data-testid="conflict-link"][href="#/releases/${other.id}"]`);
    await link.waitFor();
    assert.match(await page.getByTestId('conflict-count').innerText(), /2 conflicts/);
    await shot(page, 'detail-conflicts');

    // the other release is flagged too
    await link.click();
    await page.waitForURL(new RegExp(`#/releases/${other.id}$`));
    await page.locator('[data-testid="conflict"][data-kind="ci_overlap"]').waitFor();

    // calendar, month view
    await page.goto('/#/calendar?view=month&date=2031-05-11');
    await page.getByTestId('calendar').waitFor();
    assert.match(await page.getByTestId('cal-title').innerText(), /May 2031/);
    const day = page.locator('[data-testid="cal-day"][data-date="2031-05-11"]');
    await day.locator('[data-testid="cal-freeze"]', { hasText: `Spring freeze ${u}` }).waitFor();
    const chip = day.locator(`[data-testid="cal-release"][data-release-id="${id}"]`);
    await chip.waitFor();
    assert.notEqual(await chip.getAttribute('data-conflicts'), '0');
    assert.match((await chip.getAttribute('class')) ?? '', /\bconflict\b/);
    assert.match((await chip.getAttribute('title')) ?? '', /Spring freeze/);
    // the freeze shades both of its days
    await page.locator('[data-testid="cal-day"][data-date="2031-05-10"] [data-testid="cal-freeze"]').first().waitFor();
    assert.equal(await page.locator('[data-testid="cal-day"][data-date="2031-05-12"] [data-testid="cal-freeze"]').count(), 0);
    // clicking shows the conflict messages
    await chip.click();
    const side = page.getByTestId('cal-conflicts');
    await side.waitFor();
    assert.match(await side.innerText(), new RegExp(`Spring freeze ${u}`));
    await shot(page, 'calendar-month');

    // week view
    await page.getByTestId('cal-view-week').click();
    await page.waitForURL(/view=week/);
    const weekDays = page.getByTestId('cal-day');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="cal-day"]').length === 7);
    assert.equal(await weekDays.count(), 7);
    await page.locator(`[data-testid="cal-day"][data-date="2031-05-11"] [data-testid="cal-release"][data-release-id="${id}"]`).waitFor();
    await shot(page, 'calendar-week');
    // next / previous week
    await page.getByTestId('cal-next').click();
    await page.locator('[data-testid="cal-day"][data-date="2031-05-18"]').waitFor();
    await page.getByTestId('cal-prev').click();
    await page.locator('[data-testid="cal-day"][data-date="2031-05-11"]').waitFor();

    // deleting the freeze clears that conflict (live on the detail page)
    await page.goto(`/#/releases/${id}`);
    await page.locator('[data-testid="conflict"][data-kind="freeze"]').waitFor();
    await env.api.del(`/freezes/${freeze.id}`);
    await page.locator('[data-testid="conflict"][data-kind="freeze"]').waitFor({ state: 'detached' });
    await page.locator('[data-testid="conflict"][data-kind="ci_overlap"]').waitFor();

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
