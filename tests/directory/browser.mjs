// browser.mjs -- the agency directory and OID registry pages in Debian's
// chromium (playwright-core): browse, search by keyboard with a variant
// character, an agency with its former names, the OID tree; each page in
// both languages checked with axe-core, for unlabelled controls and for
// Content-Security-Policy violations.
// Usage: node browser.mjs BASE_URL SCREENSHOT_DIR
import path from 'node:path';
import { launchBrowser, check, axeCheck as axeOnly, finish } from '../testlib/browser.mjs';

const [base, shotDir] = process.argv.slice(2);

// axe-core, labels on every control and no CSP violation on the page
async function axeCheck(page, label) {
  await axeOnly(page, label);
  const unlabelled = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
      if (!(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label')) out.push(el.outerHTML);
    }
    return out;
  });
  check(unlabelled.length === 0, `${label}: every control has a label`);
  const csp = await page.evaluate(() => window.__csp);
  check(csp.length === 0, `${label}: no Content-Security-Policy violation ${csp.join('; ')}`);
}

const browser = await launchBrowser();
try {
  for (const lang of ['zh-TW', 'en']) {
    const context = await browser.newContext({ locale: lang, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(90000); /* the machine may be busy with other builds */
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const zh = lang === 'zh-TW';

    let resp = await page.goto(`${base}/directory?lang=${lang}`, { waitUntil: 'load' });
    check(resp.status() === 200, `${lang}: directory page answers 200`);
    check((await page.textContent('h1')).includes(zh ? '機關名錄' : 'Agency directory'),
      `${lang}: directory heading in the page's language`);
    check(await page.locator('table a', { hasText: '行政院' }).count() > 0, `${lang}: 行政院 is listed at the top`);
    await axeCheck(page, `${lang} directory`);

    // search with the keyboard, writing 台 for 臺
    await page.getByLabel(zh ? '依名稱搜尋機關（含舊名）' : 'Search agencies by name, including former names').fill('台灣高等法院');
    await Promise.all([page.waitForURL(/[?&]q=/), page.keyboard.press('Enter')]);
    check(page.url().includes('q='), `${lang}: the search form submits without JavaScript`);
    const hits = await page.locator('tbody tr').count();
    check(hits >= 1, `${lang}: the variant search finds 臺灣高等法院 (${hits} rows)`);
    await axeCheck(page, `${lang} search results`);

    // an agency renamed in the change list, with its former name
    resp = await page.goto(`${base}/directory/agencies/2.16.886.101.20003.20012?lang=${lang}`, { waitUntil: 'load' });
    check(resp.status() === 200, `${lang}: agency page answers 200`);
    check((await page.textContent('main')).includes('行政院人事行政局'), `${lang}: the former name is shown`);
    await axeCheck(page, `${lang} agency page`);
    await page.screenshot({ path: path.join(shotDir, `directory-agency-${lang}.png`), fullPage: true });

    resp = await page.goto(`${base}/oid?oid=2.16.886.101.20003&lang=${lang}`, { waitUntil: 'load' });
    check(resp.status() === 200, `${lang}: OID page answers 200`);
    check((await page.textContent('main')).includes('060760867665819c23'), `${lang}: the DER encoding is shown`);
    await axeCheck(page, `${lang} OID page`);
    await page.screenshot({ path: path.join(shotDir, `oid-${lang}.png`), fullPage: true });
    await context.close();
  }
} finally {
  await browser.close();
}
finish();
