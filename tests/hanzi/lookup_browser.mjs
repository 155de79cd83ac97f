// lookup_browser.mjs -- the /hanzi/lookup page in Debian's chromium
// (playwright-core): accessibility (axe-core), labels, no CSP violations,
// and putting a name together with and without JavaScript.
// Usage: node lookup_browser.mjs BASE_URL SCREENSHOT_DIR
import path from 'node:path';
import { launchBrowser, check, axeCheck, finish } from '../testlib/browser.mjs';

const [base, shotDir] = process.argv.slice(2);

async function newPage(browser, locale, javaScriptEnabled) {
  const context = await browser.newContext({ locale, javaScriptEnabled, viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text()))
      problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { context, page, problems };
}

async function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select')]
    .filter((el) => !['hidden', 'submit', 'button'].includes(el.type))
    .filter((el) => !(el.labels && el.labels.length && el.labels[0].textContent.trim()))
    .map((el) => el.outerHTML));
}

const browser = await launchBrowser();
try {
  // With JavaScript, in Chinese: search by strokes and add 一 in place.
  {
    const { context, page, problems } = await newPage(browser, 'zh-TW', true);
    const resp = await page.goto(`${base}/hanzi/lookup?lang=zh-TW`, { waitUntil: 'load' });
    check(resp.status() === 200, 'page answers 200');
    check((await page.textContent('h1')).includes('查找姓名用字'), 'heading in Chinese');
    check((await unlabelled(page)).length === 0, 'every control has a label');
    await axeCheck(page, 'empty form (zh-TW)');
    await page.fill('#hanzi-name', '王');
    await page.fill('#hanzi-strokes', '1');
    await Promise.all([page.waitForNavigation(), page.click('form.hanzi-form button[type=submit]')]);
    const cands = await page.locator('.hanzi-candidate').count();
    check(cands > 0, `search by 1 stroke lists candidates (${cands})`);
    await axeCheck(page, 'results (zh-TW)');
    const before = page.url();
    await page.click('a[data-hanzi-char="一"]');
    check(page.url() === before, 'adding a character with JavaScript stays on the page');
    check((await page.inputValue('#hanzi-name')) === '王一', 'name field now holds 王一');
    check(problems.length === 0, `no console errors or CSP violations (${problems.join('; ')})`);
    await page.screenshot({ path: path.join(shotDir, 'hanzi-lookup-zh.png'), fullPage: false });
    await context.close();
  }
  // In English, an error: the field is marked and the message announced.
  {
    const { context, page } = await newPage(browser, 'en-US', true);
    const resp = await page.goto(`${base}/hanzi/lookup?lang=en&strokes=abc`, { waitUntil: 'load' });
    check(resp.status() === 400, 'a bad number of strokes answers 400');
    check((await page.getAttribute('#hanzi-strokes', 'aria-invalid')) === 'true', 'the strokes field is marked invalid');
    await axeCheck(page, 'error (en)');
    await context.close();
  }
  // Without JavaScript (page scripts off; axe cannot run here): the link carries the name.
  {
    const { context, page } = await newPage(browser, 'en-US', false);
    await page.goto(`${base}/hanzi/lookup?lang=en&name=%E7%8E%8B&radical=85&residual=3`, { waitUntil: 'load' });
    check((await page.textContent('h1')).includes('Find a character'), 'heading in English');
    await Promise.all([page.waitForNavigation(), page.click('a[data-hanzi-char="江"]')]);
    check((await page.textContent('#hanzi-name-output')) === '王江', 'without JavaScript the link adds 江: 王江');
    check((await page.inputValue('#hanzi-name')) === '王江', 'and the form keeps it');
    await page.screenshot({ path: path.join(shotDir, 'hanzi-lookup-en-nojs.png'), fullPage: false });
    await context.close();
  }
} finally {
  await browser.close();
}
finish();
