// browser.mjs -- drives Debian's chromium through playwright-core against a
// running egov node and checks the portal home page as a person meets it.
// Usage: node browser.mjs BASE_URL SCREENSHOT_DIR
import path from 'node:path';
import { launchBrowser, check, fail, axeCheck, finish } from '../testlib/browser.mjs';

const [base, shotDir] = process.argv.slice(2);

async function newPage(browser, locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    const t = msg.text();
    if (msg.type() === 'error' || /Content Security Policy/i.test(t))
      problems.push(`console ${msg.type()}: ${t}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { context, page, problems };
}

async function unlabelledControls(page) {
  return page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
      const named = (el.labels && el.labels.length > 0 && el.labels[0].textContent.trim() !== '') ||
        el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!named) out.push(el.outerHTML);
    }
    return out;
  });
}

const browser = await launchBrowser();
try {
  // A browser asking for no supported language gets Traditional Chinese.
  const { context, page, problems } = await newPage(browser, 'fr-FR');
  const resp = await page.goto(`${base}/`, { waitUntil: 'load' });
  check(resp.status() === 200, 'home page answers 200');
  check((await page.getAttribute('html', 'lang')) === 'zh-Hant-TW', 'default language is zh-Hant-TW');
  check((await page.textContent('h1')).includes('政府服務'), 'heading is in Chinese');
  const headerBg = await page.evaluate(() =>
    getComputedStyle(document.querySelector('.site-header')).backgroundColor);
  check(headerBg === 'rgb(11, 61, 110)', `stylesheet applied (header ${headerBg})`);
  for (const sel of ['header', 'nav', 'main#main', 'footer'])
    check(await page.locator(sel).count() > 0, `landmark ${sel} present`);
  check((await unlabelledControls(page)).length === 0, 'every form control has a label');

  // Keyboard: the skip link is the first stop and lands in main.
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => {
    const a = document.activeElement;
    const r = a.getBoundingClientRect();
    return { cls: a.className, href: a.getAttribute('href'), visible: r.top >= 0 && r.height > 0 };
  });
  check(first.cls === 'skip-link' && first.href === '#main', 'skip link is the first focusable element');
  check(first.visible, 'skip link is visible when focused');
  await page.screenshot({ path: path.join(shotDir, 'portal-skip-link.png') });
  await page.keyboard.press('Enter');
  check(await page.evaluate(() => document.activeElement.id === 'main' || location.hash === '#main'),
    'skip link moves to main');
  await page.screenshot({ path: path.join(shotDir, 'portal-home-zh.png'), fullPage: true });
  await axeCheck(page, 'zh-TW home');

  // Search form works without JavaScript: GET /?q=
  await page.fill('#search-q', '稅');
  await Promise.all([page.waitForNavigation(), page.press('#search-q', 'Enter')]);
  check(new URL(page.url()).searchParams.get('q') === '稅', 'search submits q by GET');
  check(await page.locator('.service-list li').count() >= 1, 'search finds the tax service');

  // Switch to English through the plain link; the choice sticks (cookie).
  await page.goto(`${base}/`);
  await Promise.all([page.waitForNavigation(), page.click('a.lang-switch')]);
  check((await page.getAttribute('html', 'lang')) === 'en', 'language link switches to English');
  check((await page.textContent('h1')).includes('Government services'), 'heading is in English');
  await page.goto(`${base}/`);
  check((await page.getAttribute('html', 'lang')) === 'en', 'English is remembered on the next visit');
  await page.screenshot({ path: path.join(shotDir, 'portal-home-en.png'), fullPage: true });
  await axeCheck(page, 'en home');
  await Promise.all([page.waitForNavigation(), page.click('a.lang-switch')]);
  check((await page.getAttribute('html', 'lang')) === 'zh-Hant-TW', 'language link switches back to Chinese');

  // An error page is accessible too.
  const r404 = await page.goto(`${base}/no-such-page`);
  check(r404.status() === 404, 'unknown page answers 404');
  await page.screenshot({ path: path.join(shotDir, 'portal-404.png'), fullPage: true });
  await axeCheck(page, '404 page');

  // A small screen.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`${base}/`);
  await page.screenshot({ path: path.join(shotDir, 'portal-home-mobile.png'), fullPage: true });
  check(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
    'no horizontal scrolling on a 375 px screen');

  const csp = await page.evaluate(() => window.__csp);
  for (const p of problems.concat(csp)) console.log(`  ${p}`);
  check(problems.filter((p) => /Content Security Policy|page error/i.test(p)).length === 0 && csp.length === 0,
    'no CSP violations or script errors');
  await context.close();
} catch (e) {
  fail(e.stack || e);
} finally {
  await browser.close();
}
finish();
