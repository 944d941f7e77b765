// Screenshot tests of the demo page and the dashboard, in headless Chromium against a real
// anshin. Each page is put in a fixed state (real ceremonies; for the dashboard, thirty days
// of sample history written into the database, see sample-history.mjs), checked for layout
// and figures, and compared pixel by pixel with the committed screenshot in docs/screenshots/
// (the one the README shows), ignoring the parts that change with the date.
//
// UPDATE_SCREENSHOTS=1 writes new screenshots. The pixel comparison needs the Chromium the
// screenshots were taken with (fonts and rendering change between versions); with another
// one the test still checks layout and figures, and says that it did not compare pixels.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, addAuthenticator, API_KEY } from './harness.mjs';
import { decodePng, pixelDifference } from './png.mjs';
import { DAY, USERS_BEFORE, HOLDERS_BEFORE, NEW_USERS_PER_DAY, day, writeHistory } from './sample-history.mjs';

const shots = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'screenshots');
const metaPath = join(shots, 'screenshots.json');
const update = process.env.UPDATE_SCREENSHOTS === '1';
const MAX_DIFFERENT_PIXELS = 0.003;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** Rectangles (page coordinates) of the elements matching `selectors`. */
function regions(page, selectors) {
  return page.evaluate((sel) => {
    return [...document.querySelectorAll(sel.join(','))].map((e) => {
      const r = e.getBoundingClientRect();
      return { x: Math.floor(r.left + scrollX) - 2, y: Math.floor(r.top + scrollY) - 2, w: Math.ceil(r.width) + 4, h: Math.ceil(r.height) + 4 };
    });
  }, selectors);
}

async function layoutIsSound(page) {
  const m = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    width: innerWidth,
    offscreen: [...document.querySelectorAll('.card, .kpi, button, input')]
      .filter((e) => e.offsetParent !== null)
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.left < 0 || r.right > innerWidth + 0.5).length,
    brokenImages: [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).length,
  }));
  assert.ok(m.scrollWidth <= m.width, `no horizontal scrolling (${m.scrollWidth} > ${m.width})`);
  assert.equal(m.offscreen, 0, 'every card, button and field is inside the window');
  assert.equal(m.brokenImages, 0, 'every image loads');
}

/** Takes the screenshot, and compares it with the committed one (or writes it). */
async function compare(t, page, name, ignore) {
  const png = await page.screenshot({ fullPage: true });
  const file = join(shots, `${name}.png`);
  const version = server.browser.version();
  const meta = existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, 'utf8')) : {};
  if (update) {
    mkdirSync(shots, { recursive: true });
    writeFileSync(file, png);
    meta.chromium = version;
    writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
    t.diagnostic(`wrote ${file}`);
    return;
  }
  assert.ok(existsSync(file), `${file} exists (UPDATE_SCREENSHOTS=1 writes it)`);
  if (meta.chromium !== version) {
    t.diagnostic(`pixels not compared: the screenshots were taken with Chromium ${meta.chromium}, this is ${version}`);
    return;
  }
  const [a, b] = [decodePng(png), decodePng(readFileSync(file))];
  assert.deepEqual([a.width, a.height], [b.width, b.height], `${name}: the page has the committed size`);
  for (const img of [a, b]) {
    for (const r of ignore) {
      for (let y = Math.max(0, r.y); y < Math.min(img.height, r.y + r.h); y++) {
        img.data.fill(0, (y * img.width + Math.max(0, r.x)) * 4, (y * img.width + Math.min(img.width, r.x + r.w)) * 4);
      }
    }
  }
  const diff = pixelDifference(a, b);
  if (diff > MAX_DIFFERENT_PIXELS) writeFileSync(join(shots, `${name}.actual.png`), png);
  assert.ok(diff <= MAX_DIFFERENT_PIXELS, `${name}: ${(diff * 100).toFixed(2)}% of the pixels differ from ${file} (the page is in ${name}.actual.png)`);
}

describe('screenshots', () => {
  test('the demo page, signed in with two passkeys', async (t) => {
    const { page, context, cdp, authenticatorId, problems } = await server.open('/', { viewport: { width: 1000, height: 760 } });
    await page.fill('#signup-username', 'ada@example.com');
    await page.fill('#signup-display', 'Ada Lovelace');
    await page.click('#signup-button');
    await page.waitForSelector('#passkeys li[data-id]');
    await page.click('#passkeys li[data-id] button:has-text("Rename")');
    await page.fill('#passkeys li[data-id] input', 'MacBook');
    await page.click('#passkeys li[data-id] button:has-text("Save")');
    await page.waitForSelector('.name:has-text("MacBook")');
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    // a phone whose passkeys sync (backup eligible and backed up)
    await addAuthenticator(context, page, { defaultBackupEligibility: true, defaultBackupState: true });
    await page.click('#add-passkey');
    await page.waitForFunction(() => document.querySelectorAll('#passkeys li[data-id]').length === 2);
    const phone = page.locator('#passkeys li[data-id]').nth(1);
    await phone.locator('button:has-text("Rename")').click();
    await phone.locator('input').fill('Phone');
    await phone.locator('button:has-text("Save")').click();
    await page.waitForSelector('.name:has-text("Phone")');
    assert.match(await phone.innerText(), /Synced/);
    await page.fill('#phone', '+447700900123');
    await page.click('#phone-save');
    await page.waitForSelector('#phone-result:text-is("Saved.")');
    await page.evaluate(() => document.activeElement?.blur());
    await page.mouse.move(0, 0);

    assert.equal(await page.textContent('#who'), 'Ada Lovelace');
    assert.equal(await page.locator('#passkeys li[data-id]').count(), 2);
    await layoutIsSound(page);
    assert.deepEqual(problems, []);
    await compare(t, page, 'demo', await regions(page, ['.passkeys .meta', '#session-info']));
    await context.close();
  });

  test('the dashboard, over thirty days of sample history', async (t) => {
    const now = Math.floor(Date.now() / 1000);
    const since = Math.floor(now / DAY) * DAY + DAY - 30 * DAY;
    writeHistory(server.dbPath, since);
    const { page, context, problems } = await server.open('/admin', { authenticator: false, viewport: { width: 1280, height: 900 } });
    await page.fill('#key', API_KEY);
    await page.click('#key-open');
    await page.waitForSelector('#board:not([hidden])');
    await page.waitForSelector('#events tr');

    // The figures are those of the sample history plus the demo test's sign-up.
    const days = [...Array(30).keys()].map(day);
    const sum = (f) => days.reduce((a, d) => a + f(d), 0);
    const users = USERS_BEFORE + 30 * NEW_USERS_PER_DAY + 1;
    const holders = HOLDERS_BEFORE + sum((d) => d.newHolders) + 1;
    const signIns = sum((d) => d.passkeyLogins + d.smsLogins) + 1;
    const blocked = sum((d) => d.blockedPumping + d.blockedVelocity);
    const kpi = async (n) => (await page.locator('.kpi').nth(n).innerText()).replace(/\s+/g, ' ').trim();
    assert.equal(await kpi(0), `PASSKEY ADOPTION ${Math.round((holders / users) * 1000) / 10}% ${holders} of ${users} users`);
    assert.match(await kpi(1), new RegExp(`^SIGN-INS ${signIns} `));
    assert.match(await kpi(4), new RegExp(`^SMS BLOCKED ${blocked} ${(blocked * 0.04).toFixed(2)} avoided$`));
    assert.equal(await page.locator('#chart-mix rect').count(), 60, 'a passkey and an SMS bar on each of the 30 days');
    assert.equal(await page.locator('#chart-sms rect').count(), 30 + days.filter((d) => d.blockedPumping + d.blockedVelocity > 0).length);
    assert.match(await page.textContent('#chart-blocked'), /Prefix breaker \(pumping\).*78 · 3\.12 avoided/);
    assert.match(await page.textContent('#chart-reasons'), /Prefix breaker/);
    assert.equal(await page.locator('#events tr').count(), 3, 'the sign-up made three events');
    await layoutIsSound(page);
    assert.deepEqual(problems, []);
    await compare(t, page, 'admin', await regions(page, ['svg text.xlabel', '#events td:nth-child(1)', '#events td:nth-child(3)', '#events td:nth-child(4)']));

    // The last 48 hours: hourly bars, labelled with times of day.
    await page.selectOption('#window', 'hour');
    await page.waitForFunction(() => /\d\d:\d\d/.test(document.querySelector('#chart-mix text.xlabel')?.textContent || ''));
    const hourly = await page.locator('#chart-mix rect').count();
    assert.ok(hourly >= 2 && hourly <= 6, `a few hours of the last two days have sign-ins (${hourly} bars)`);
    await context.close();
  });

  test('both pages fit a phone screen', async () => {
    for (const [path, ready] of [['/', '#signed-out'], ['/admin', '#key-card']]) {
      const { page, context, problems } = await server.open(path, { authenticator: false, viewport: { width: 390, height: 844 } });
      await page.waitForSelector(`${ready}:not([hidden])`);
      if (path === '/admin') {
        await page.fill('#key', API_KEY);
        await page.click('#key-open');
        await page.waitForSelector('#board:not([hidden])');
      }
      await layoutIsSound(page);
      assert.deepEqual(problems, []);
      await context.close();
    }
  });
});
