// Compares egov's check digits of national IDs, resident certificate
// numbers (UI numbers, both formats) and business IDs (統一編號) with the npm
// package taiwan-id-validator on thousands of generated numbers.
//
// For every random prefix all ten last digits are tried, so valid and
// invalid numbers come in the proportion the check digit itself makes, and
// the generator needs no checksum of its own.
//
// usage: node id_validator.mjs EGOV_BIN
import { spawnSync } from 'node:child_process';
import { isBan, isIdCardNumber } from 'taiwan-id-validator';

const egov = process.argv[2];
let seed = 20261127;
function rand(n) {
  // a small deterministic LCG, so a failure can be reproduced
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
}
const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const digits = (n) => Array.from({ length: n }, () => String(rand(10))).join('');

const ids = [];
for (let i = 0; i < 1200; i++) {
  const second = ['1', '2', '8', '9', 'A', 'B', 'C', 'D', '0', '3', '7', 'E', 'Z'][rand(13)];
  const prefix = letters[rand(26)] + second + digits(7);
  for (let d = 0; d < 10; d++) ids.push(prefix + d);
}
const bans = [];
for (let i = 0; i < 800; i++) {
  // every fourth prefix has 7 in the 7th place, the special case of the rule
  const prefix = i % 4 === 0 ? digits(6) + '7' : digits(7);
  for (let d = 0; d < 10; d++) bans.push(prefix + d);
}

const input = ids.concat(bans).join('\n') + '\n';
const run = spawnSync(egov, ['directory', 'check-id', '-'], { input, encoding: 'utf8' });
if (run.error || (run.status !== 0 && run.status !== 1)) {
  console.error('egov directory check-id failed:', run.error || run.stderr);
  process.exit(1);
}
const got = new Map();
for (const line of run.stdout.split('\n')) {
  if (!line) continue;
  const [id, verdict] = line.split('\t');
  got.set(id, verdict === 'valid');
}

let mismatches = 0;
let validIds = 0;
let validBans = 0;
function compare(list, check, kind) {
  for (const x of list) {
    const theirs = check(x);
    const ours = got.get(x);
    if (ours === undefined) {
      console.error(`no answer from egov for ${x}`);
      mismatches++;
    } else if (ours !== theirs) {
      if (mismatches < 20) console.error(`${kind} ${x}: egov ${ours}, taiwan-id-validator ${theirs}`);
      mismatches++;
    }
    if (theirs && kind === 'id') validIds++;
    if (theirs && kind === 'ban') validBans++;
  }
}
compare(ids, (x) => isIdCardNumber(x), 'id');
compare(bans, (x) => isBan(x), 'ban');
console.log(`compared ${ids.length} personal IDs (${validIds} valid) and ${bans.length} business IDs (${validBans} valid): ${mismatches} mismatches`);
// a comparison that found nothing valid would prove nothing
if (validIds < 500 || validBans < 1000) {
  console.error('too few valid numbers were generated');
  process.exit(1);
}
process.exit(mismatches === 0 ? 0 : 1);
