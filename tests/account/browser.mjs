// browser.mjs -- the account pages as a person meets them, in Debian's
// chromium through playwright-core: register, verify through the
// development mailbox, sign in, set up TOTP with a code from oathtool,
// sign out, sign in with TOTP.  Every page is checked with axe-core and
// for CSP violations; the name typed in is markup and must stay text.
// Usage: node browser.mjs BASE_URL SCREENSHOT_DIR
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launchBrowser, check, fail, axeCheck, finish } from '../testlib/browser.mjs';

const [base, shotDir] = process.argv.slice(2);

function totp(secret, offsetSeconds) {
  const when = new Date(Date.now() + offsetSeconds * 1000).toISOString().replace('T', ' ').replace(/\..*/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', '--now', when, secret], { encoding: 'utf8' }).trim();
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shotDir, `account-${name}.png`), fullPage: true });
}

const browser = await launchBrowser();
const evilName = '<script>alert(1)</script> 林𠀀"\'&';
const nid = 'A123456789';
const email = 'mei@example.tw';
const password = 'rainy days in Taipei 2026';
try {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text()))
      problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  // The sign-in page, first in Chinese.
  let resp = await page.goto(`${base}/login?lang=zh-TW`);
  check(resp.status() === 200, 'sign-in page answers 200');
  check((await page.textContent('h1')).includes('登入'), 'sign-in page in Traditional Chinese');
  await axeCheck(page, 'zh-TW sign-in page');
  await page.goto(`${base}/login?lang=en`);
  check((await page.textContent('h1')).includes('Sign in'), 'sign-in page in English');

  // Register.
  await page.click('a[href="/register"]');
  await axeCheck(page, 'registration page');
  await page.fill('#reg-nid', nid);
  await page.fill('#reg-name', evilName);
  await page.fill('#reg-email', email);
  await page.fill('#reg-password', 'password');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/register"] button')]);
  check((await page.textContent('[role=alert]')).includes('too common'), 'a common password is refused');
  check(await page.inputValue('#reg-name') === evilName, 'the name typed in comes back as text');
  await page.fill('#reg-password', password);
  resp = (await Promise.all([page.waitForNavigation(), page.click('form[action="/register"] button')]))[0];
  check(resp.status() === 201, 'registration answers 201');
  check((await page.textContent('main')).includes(email), 'the confirmation page names the address');
  await shot(page, 'registered');

  // The mail arrives through the outbox in the development mailbox.
  let link = null;
  for (let i = 0; i < 100 && link === null; i++) {
    await page.goto(`${base}/dev/mailbox`);
    link = await page.locator('a.mailbox__link').first().getAttribute('href').catch(() => null);
    if (link === null) await page.waitForTimeout(100);
  }
  check(link !== null && link.includes('/register/verify?token='), 'verification mail in the mailbox');
  await axeCheck(page, 'mailbox page');
  await page.click('a.mailbox__link');
  await axeCheck(page, 'verification page');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/register/verify"] button')]);
  check((await page.textContent('main')).includes('active'), 'the account is active');

  // Sign in with the password.
  await page.goto(`${base}/login?return_to=/account`);
  await page.fill('#login-id', email);
  await page.fill('#login-password', password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button')]);
  check(new URL(page.url()).pathname === '/account', 'signed in, back at the page asked for');
  check((await page.textContent('.account__name')) === evilName, 'the name is shown as text');
  check(await page.locator('main script').count() === 0, 'no script element came from the name');
  await axeCheck(page, 'account page');
  await shot(page, 'account');

  // Set up TOTP with oathtool.
  await Promise.all([page.waitForNavigation(), page.click('form[action="/account/totp/start"] button')]);
  const secret = await page.getAttribute('.totp__secret', 'data-secret');
  check(/^[A-Z2-7]{32}$/.test(secret || ''), 'a base32 key is shown');
  check((await page.getAttribute('img.qr', 'src')).startsWith('data:image/svg+xml;base64,'), 'QR code as an image');
  const qrOk = await page.evaluate(() => document.querySelector('img.qr').naturalWidth > 0);
  check(qrOk, 'the QR code renders');
  await axeCheck(page, 'TOTP enrolment page');
  await shot(page, 'totp');
  const code1 = totp(secret, 0);
  await page.fill('#totp-code', code1);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/account/totp/confirm"] button')]);
  check(await page.locator('.recovery-codes li').count() === 10, 'ten recovery codes are shown');
  await axeCheck(page, 'recovery codes page');

  // Sign out.
  await page.goto(`${base}/logout`);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
  resp = await page.goto(`${base}/account`);
  check(new URL(page.url()).pathname === '/login', 'signed out: the account page asks to sign in');

  // Sign in with the password and the next TOTP code.
  await page.fill('#login-id', nid);
  await page.fill('#login-password', password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button')]);
  check(new URL(page.url()).pathname === '/login/otp', 'the second step is asked for');
  await axeCheck(page, 'second-step page');
  await page.fill('#otp-code', code1);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login/otp"] button')]);
  check((await page.textContent('[role=alert]')).length > 0, 'a code already used is refused');
  await page.fill('#otp-code', totp(secret, 30));
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login/otp"] button')]);
  check(new URL(page.url()).pathname === '/account', 'signed in with TOTP');
  check(await page.locator('.account__totp-on').count() === 1, 'the account page says TOTP is on');
  const methods = await page.textContent('table');
  check(methods.includes('otp'), 'the session records the second factor');
  await shot(page, 'account-totp');

  // Administration pages: make this person a platform administrator with the CLI.
  const session = await (await page.request.get(`${base}/api/account/session`)).json();
  check(typeof session.principal_id === 'string', 'the session API names the principal');
  resp = await page.goto(`${base}/accounting`);
  check(resp.status() === 403, 'the usage report is for administrators only');
  execFileSync(process.env.EGOV_BIN, ['authz', 'admin', 'add', '--db', process.env.EGOV_TEST_DB_URL,
    '--subject', session.principal_id, '--agency', '*'], { encoding: 'utf8' });
  resp = await page.goto(`${base}/accounting`);
  check(resp.status() === 200, 'a platform administrator sees the usage report');
  check(await page.locator('svg.chart rect').count() >= 30, 'the report has a bar per day');
  check((await page.textContent('table')).includes('login'), 'sign-ins are counted');
  await axeCheck(page, 'usage report');
  await shot(page, 'accounting');
  resp = await page.goto(`${base}/authz?agency=*`);
  check(resp.status() === 200, 'the authorization page opens for the platform');
  await page.fill('#role-name', 'clerk');
  await page.fill('#role-perms', 'case.read cases/*\ncase.write drafts/*');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/authz/roles"] button')]);
  check((await page.textContent('main')).includes('clerk'), 'a role is created with the form');
  check((await page.textContent('main')).includes('role.create'), 'the change is in the audit list');
  await axeCheck(page, 'authorization page');
  await shot(page, 'authz');

  check(dialogs === 0, 'no script ran from user input');
  for (const p of problems) console.log(`  ${p}`);
  // the 400 and 401 answers above are logged as failed loads; only CSP and script errors count
  check(problems.filter((p) => /Content Security Policy|page error/i.test(p)).length === 0,
    'no CSP violations or script errors');
  await context.close();
} catch (e) {
  fail(e.stack || e);
} finally {
  await browser.close();
}
finish();
