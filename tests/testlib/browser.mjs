// browser.mjs -- what the browser tests share: Debian's chromium launched
// through playwright-core, axe-core run on a page, and TAP-like "ok" /
// "not ok" lines counted into an exit status.
//
//   import { launchBrowser, check, fail, axeCheck, finish } from '../testlib/browser.mjs';
//
// Each test is its own node process, so the counts are kept here.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Path of the chromium binary: $EGOV_CHROMIUM, else /usr/bin/chromium. */
export const chromePath = process.env.EGOV_CHROMIUM || '/usr/bin/chromium';

let failures = 0;
let passes = 0;

/**
 * Launches a headless chromium without sandbox, network chatter or QUIC.
 * The caller owns the browser and closes it.
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: chromePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Records one check: prints "ok - WHAT" or "not ok - WHAT (EXTRA)" and
 * counts it.  Returns cond as a boolean.
 */
export function check(cond, what, extra) {
  if (cond) {
    passes++;
    console.log(`ok - ${what}`);
  } else {
    failures++;
    console.log(`not ok - ${what}${extra !== undefined ? ` (${extra})` : ''}`);
  }
  return !!cond;
}

/** Records a failure that is not a check, e.g. an exception: prints it. */
export function fail(what) {
  failures++;
  console.log(`not ok - ${what}`);
}

/** Number of failed checks so far. */
export function failureCount() {
  return failures;
}

/**
 * Runs axe-core on the page as it is and checks that it finds no serious
 * or critical violation; each one found is printed with its elements.
 */
export async function axeCheck(page, label) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad)
    console.log(`  axe ${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  return check(bad.length === 0, `${label}: axe-core finds no serious or critical violation`);
}

/**
 * Prints "N passed, M failed" (after PREFIX, if given) and exits the
 * process: 0 when nothing failed, 1 otherwise.
 */
export function finish(prefix = '') {
  console.log(`${prefix}${passes} passed, ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}
