// browser.mjs -- certificate sign-in as a person meets it, in Debian's
// chromium through playwright-core, with no JavaScript on the page: read
// the challenge, sign it with `egov pki sign-challenge`, paste the line,
// submit, land on the account page.  Pages are checked with axe-core and
// for CSP violations, in Traditional Chinese and English, with an error.
// Usage: node browser.mjs BASE_URL WORKDIR (holding user.key, user.crt)
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launchBrowser, check, axeCheck, finish } from '../testlib/browser.mjs';

const [base, work] = process.argv.slice(2);

function sign(challenge) {
  return execFileSync(process.env.EGOV_BIN, ['pki', 'sign-challenge', '--key', path.join(work, 'user.key'),
    '--cert', path.join(work, 'user.crt'), challenge], { encoding: 'utf8' }).trim();
}

const browser = await launchBrowser();
try {
  // the page needs no JavaScript: run the whole flow with it switched off
  const context = await browser.newContext({ locale: 'zh-TW', javaScriptEnabled: false });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    // a refused response is answered with its 4xx status on purpose
    if (/Failed to load resource: .* status of 40[01]/.test(msg.text())) return;
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text()))
      problems.push(`console ${msg.type()}: ${msg.text()}`);
  });

  let resp = await page.goto(`${base}/pki/login?lang=zh-TW&return_to=/account`);
  check(resp.status() === 200, 'certificate sign-in page answers 200');
  check((await page.textContent('h1')).includes('以憑證登入'), 'page in Traditional Chinese');
  check(await page.isVisible('label[for="pki-response"]'), 'the response box has a label');

  // a wrong response: the page comes back with an alert and a new challenge
  const first = (await page.textContent('pre code')).trim();
  await page.fill('#pki-response', 'not-a-response');
  await page.click('form[action="/pki/login"] button[type="submit"]');
  check(await page.isVisible('[role="alert"]'), 'a wrong response is reported in an alert');
  const second = (await page.textContent('pre code')).trim();
  check(second.startsWith('egov-login:') && second !== first, 'a new challenge is shown after a failure');

  // axe needs scripts: check the pages in a context that runs them
  const axeContext = await browser.newContext({ locale: 'en-GB' });
  const axePage = await axeContext.newPage();
  await axePage.goto(`${base}/pki/login?lang=zh-TW`);
  await axeCheck(axePage, 'zh-TW certificate sign-in page');
  await axePage.goto(`${base}/pki/login?lang=en`);
  check((await axePage.textContent('h1')).includes('Sign in with a certificate'), 'page in English');
  await axeCheck(axePage, 'English certificate sign-in page');
  await axePage.fill('#pki-response', 'x.y');
  await axePage.click('form[action="/pki/login"] button[type="submit"]');
  await axeCheck(axePage, 'page with an error');
  await axeContext.close();

  // sign the challenge shown and paste the line
  await page.fill('#pki-response', sign(second));
  await page.click('form[action="/pki/login"] button[type="submit"]');
  check(new URL(page.url()).pathname === '/account', `signed in, on ${page.url()}`);
  const cookies = await context.cookies();
  check(cookies.some((c) => c.name === 'egov_session' && c.httpOnly), 'an HttpOnly session cookie is set');
  check(problems.length === 0, `no console errors or CSP violations ${problems.join('; ')}`);
} finally {
  await browser.close();
}
finish();
