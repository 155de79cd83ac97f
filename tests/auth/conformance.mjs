// conformance.mjs -- the OpenID Foundation's Basic OP and Config OP test
// list, run against a live egov node by an unmodified relying party
// library (npm openid-client, with jose for keys), with Debian's chromium
// (playwright-core) as the person's browser on the login and consent pages.
//
// Usage: node conformance.mjs BASE_URL DB_URL WORKDIR   (EGOV_BIN set)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as client from 'openid-client';
import * as jose from 'jose';
import { launchBrowser, check, axeCheck, finish } from '../testlib/browser.mjs';

const [base, dbUrl, workDir] = process.argv.slice(2);
const egov = process.env.EGOV_BIN;
const NATIONAL_ID = 'A123456789';
const PASSWORD = 'correct horse battery staple 42';
const NAME = '王小明';

async function expectError(promise, what, pred) {
  try {
    await promise;
    check(false, what, 'no error');
  } catch (e) {
    const code = e.error || e.code || (e.cause && e.cause.error);
    check(pred(e, code), what, `${e.name}: ${code} ${e.message}`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cli(...args) {
  return execFileSync(egov, [...args, '--db', dbUrl], { encoding: 'utf8', env: process.env });
}

// --- the relying party's callback: records every hit -------------------------
const hits = [];
const rp = http.createServer((req, res) => {
  hits.push(req.url);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><title>RP</title><p>callback</p>');
});
await new Promise((r) => rp.listen(0, '127.0.0.1', r));
const rpBase = `http://127.0.0.1:${rp.address().port}`;
const redirectUri = `${rpBase}/cb`;
const logoutUri = `${rpBase}/bye`;

// --- set-up: one citizen, four clients ---------------------------------------
const pwFile = path.join(workDir, 'pw');
fs.writeFileSync(pwFile, PASSWORD + '\n', { mode: 0o600 });
const EMAIL = 'xiaoming@example.tw';
const PHONE = '+886912345678';
const person = JSON.parse(cli('account', 'add', '--national-id', NATIONAL_ID, '--name', NAME, '--password-file', pwFile,
  '--email', EMAIL, '--phone', '+886 912-345-678'));
check(person.phone === PHONE, 'CLI records the phone number in E.164 form', JSON.stringify(person));
const AGENCY = '376470000A';
cli('authz', 'admin', 'add', '--subject', person.principal_id, '--agency', AGENCY);
cli('authz', 'admin', 'add', '--subject', person.principal_id, '--agency', '*');

function addClient(auth) {
  const out = cli('oidc', 'client', 'add', '--name', `RP ${auth}`, '--redirect-uri', redirectUri,
    '--auth', auth);
  return JSON.parse(out);
}
const cBasic = addClient('client_secret_basic');
const cPost = addClient('client_secret_post');
const cJwt = addClient('private_key_jwt');
const cPublic = addClient('none');
check(typeof cBasic.client_secret === 'string' && cBasic.client_secret.length >= 43,
  'CLI prints the client as JSON with a high-entropy secret');
check(cJwt.client_secret === undefined, 'a private_key_jwt client gets no secret');

const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
const pubJwk = { ...(await jose.exportJWK(publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
const jwksFile = path.join(workDir, 'rp-jwks.json');
fs.writeFileSync(jwksFile, JSON.stringify({ keys: [pubJwk] }));
cli('oidc', 'client', 'set', cJwt.client_id, '--jwks-file', jwksFile);
cli('oidc', 'client', 'set', cBasic.client_id, '--post-logout-uri', logoutUri);

// --- discovery (Config OP) ----------------------------------------------------
const issuerUrl = new URL(base);
const opts = { execute: [client.allowInsecureRequests] };
const confBasic = await client.discovery(issuerUrl, cBasic.client_id, undefined,
  client.ClientSecretBasic(cBasic.client_secret), opts);
const meta = confBasic.serverMetadata();
check(meta.issuer === base, 'discovery: issuer equals the URL the client used', meta.issuer);
check(Array.isArray(meta.scopes_supported) && meta.scopes_supported.includes('openid'),
  'discovery: scopes_supported contains openid');
check(meta.code_challenge_methods_supported?.includes('S256') &&
  !meta.code_challenge_methods_supported.includes('plain'),
'discovery: code_challenge_methods_supported is S256 only');
for (const f of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
  'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported',
  'end_session_endpoint', 'revocation_endpoint', 'introspection_endpoint'])
  check(meta[f] !== undefined, `discovery: ${f} present`);
const jwksRes = await fetch(meta.jwks_uri);
const jwks = await jwksRes.json();
check(jwksRes.ok && Array.isArray(jwks.keys) && jwks.keys.length >= 2, 'jwks_uri serves keys');
check(jwks.keys.every((k) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].every((m) => !(m in k))),
  'jwks_uri holds public keys only');
check(jwks.keys.some((k) => k.alg === 'RS256') && jwks.keys.some((k) => k.alg === 'ES256'),
  'jwks_uri has RS256 and ES256 keys');
const hostIssuer = await (await fetch(`http://localhost:${issuerUrl.port}/.well-known/openid-configuration`)).json();
check(hostIssuer.issuer === `http://localhost:${issuerUrl.port}`,
  'discovery: the issuer follows the Host the client used', hostIssuer.issuer);

const confPost = await client.discovery(issuerUrl, cPost.client_id, undefined,
  client.ClientSecretPost(cPost.client_secret), opts);
const confJwt = await client.discovery(issuerUrl, cJwt.client_id, { token_endpoint_auth_signing_alg: 'ES256' },
  client.PrivateKeyJwt({ key: privateKey, kid: 'rp-key-1' }), opts);
const confPublic = await client.discovery(issuerUrl, cPublic.client_id, undefined, client.None(), opts);

// --- the browser ---------------------------------------------------------------
const browser = await launchBrowser();
let context = await browser.newContext({ locale: 'zh-TW' });
let page = await context.newPage();
let logins = 0;

async function fillLogin(p) {
  const loginField = p.locator('input[name="login"], input[autocomplete="username"]').first();
  await loginField.fill(NATIONAL_ID);
  await p.locator('input[type="password"]').first().fill(PASSWORD);
  await submitAndSettle(p, p.locator('form button[type="submit"], form input[type="submit"]').first());
  logins++;
}

// Clicks a submit button and waits until the browser has left the page and
// any "returning to the application" page (which refreshes to the RP).
async function submitAndSettle(p, button) {
  const before = p.url();
  await Promise.all([p.waitForURL((u) => u.href !== before, { waitUntil: 'load' }), button.click()]);
  await settle(p);
}
// On the "returning to the application" page, waits for its refresh to the RP.
async function settle(p) {
  if (new URL(p.url()).origin !== rpBase && await p.locator('#continue-title').count() > 0)
    await p.waitForURL((u) => u.origin === rpBase, { timeout: 10000 });
}

// Follows a login/consent journey from @url until the browser reaches the RP.
async function journey(url, { consent = 'allow', onConsent } = {}) {
  await page.goto(url.href ?? url);
  for (let step = 0; step < 8; step++) {
    await settle(page);
    const now = new URL(page.url());
    if (process.env.OIDC_TRACE) console.log(`# step ${step}: ${now.pathname}${now.search.slice(0, 80)}`);
    if (now.origin === rpBase) return now;
    if (now.pathname === '/login' || now.pathname.startsWith('/login/')) {
      await fillLogin(page);
      continue;
    }
    if (now.pathname === '/oidc/authorize' && await page.locator('button[name="consent_decision"]').count() === 0) {
      // the "returning to the application" page may be refreshing right now
      const left = await page.waitForURL((u) => u.origin === rpBase, { timeout: 5000 }).then(() => true, () => false);
      if (left) continue;
      throw new Error(`no consent form at ${page.url()}: ${(await page.textContent('body')).replace(/\s+/g, ' ').slice(0, 400)}`);
    }
    if (now.pathname === '/oidc/authorize') {
      if (onConsent) await onConsent(page);
      await submitAndSettle(page, page.locator(`button[name="consent_decision"][value="${consent}"]`));
      continue;
    }
    throw new Error(`stuck at ${page.url()}: ${(await page.content()).slice(0, 400)}`);
  }
  throw new Error(`too many steps, at ${page.url()}`);
}

async function codeFlow(conf, extra = {}, journeyOpts = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: redirectUri, scope: 'openid profile', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    ...extra,
  };
  const url = client.buildAuthorizationUrl(conf, params);
  const back = await journey(url, journeyOpts);
  return { back, verifier, state, nonce, params };
}

async function exchange(conf, f, checks = {}) {
  return client.authorizationCodeGrant(conf, f.back, {
    pkceCodeVerifier: f.verifier, expectedState: f.state, expectedNonce: f.nonce, ...checks,
  });
}

// --- Basic OP: client_secret_basic, nonce, claims, consent page ---------------
let consentHtml = '';
const f1 = await codeFlow(confBasic, {}, { onConsent: async (p) => { consentHtml = await p.content(); } });
check(/允許/.test(consentHtml) && /王小明/.test(consentHtml), 'consent page in zh-TW names the person', consentHtml.slice(0, 200));
check(!/<script/i.test(consentHtml.replace(/<script[^>]*src=[^>]*><\/script>/gi, '')), 'consent page has no inline script');
const t1 = await exchange(confBasic, f1);
const c1 = t1.claims();
check(t1.access_token && t1.id_token, 'client_secret_basic: code exchanged for tokens');
check(c1.nonce === f1.nonce, 'ID token carries the nonce');
for (const k of ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr'])
  check(c1[k] !== undefined, `ID token has ${k}`);
check(c1.iss === base && c1.aud === cBasic.client_id, 'ID token iss and aud');
check(typeof t1.refresh_token === 'string', 'a refresh token is issued');

// userinfo three ways
const ui1 = await client.fetchUserInfo(confBasic, t1.access_token, c1.sub);
check(ui1.sub === c1.sub && ui1.name === NAME, 'userinfo GET with bearer header', JSON.stringify(ui1));
const ui2 = await (await fetch(meta.userinfo_endpoint, { method: 'POST', headers: { authorization: `Bearer ${t1.access_token}` } })).json();
check(ui2.sub === c1.sub, 'userinfo POST with bearer header');
const ui3 = await (await fetch(meta.userinfo_endpoint, { method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ access_token: t1.access_token }) })).json();
check(ui3.sub === c1.sub, 'userinfo POST with the token in the form body');
check(ui1.national_id === undefined, 'no national ID without the national_id scope');
check(ui1.email === undefined && ui1.phone_number === undefined && c1.email === undefined && c1.phone_number === undefined,
  'no e-mail or phone claims without the email and phone scopes', JSON.stringify(ui1));

// scopes email and phone (OIDC Core 5.4): userinfo GET and POST, and the ID token
const fc = await codeFlow(confBasic, { scope: 'openid email phone' });
const tc = await exchange(confBasic, fc);
const cCon = tc.claims();
const uic = await client.fetchUserInfo(confBasic, tc.access_token, cCon.sub);
const contactsOk = (o) => o.email === EMAIL && o.email_verified === false &&
  o.phone_number === PHONE && o.phone_number_verified === false;
check(contactsOk(uic), 'userinfo GET: email, email_verified, phone_number, phone_number_verified', JSON.stringify(uic));
const uicPost = await (await fetch(meta.userinfo_endpoint, { method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ access_token: tc.access_token }) })).json();
check(contactsOk(uicPost), 'userinfo POST: the e-mail and phone claims', JSON.stringify(uicPost));
check(contactsOk(cCon), 'ID token: the e-mail and phone claims', JSON.stringify(cCon));
check(uic.name === undefined, 'scopes email and phone release no profile claims');
const tcEmail = await client.refreshTokenGrant(confBasic, tc.refresh_token, { scope: 'openid email' });
const uicEmail = await client.fetchUserInfo(confBasic, tcEmail.access_token, cCon.sub);
check(uicEmail.email === EMAIL && uicEmail.phone_number === undefined && uicEmail.phone_number_verified === undefined,
  'a token refreshed down to scope email releases no phone claims', JSON.stringify(uicEmail));
check(meta.claims_supported.includes('email_verified') && meta.claims_supported.includes('phone_number'),
  'discovery lists the e-mail and phone claims');

// the person confirms the phone number on the account page (code through the development mailbox):
// phone_number_verified becomes true in the claims of the next authorisation
await page.goto(`${base}/account`);
await page.fill('#phone-number', '+886 912 345 678');
await Promise.all([page.waitForNavigation(), page.click('form[action="/account/phone"] button[type="submit"]')]);
let smsCode = null, box = '';
const afterSend = (await page.textContent('main')).slice(0, 300);
for (let i = 0; i < 50 && smsCode === null; i++) {
  box = await (await page.request.get(`${base}/dev/mailbox`, { headers: { accept: 'text/html' } })).text();
  const m = box.match(/<span class="mailbox__to">\+886912345678<\/span>[\s\S]*?<pre class="mailbox__body">[^<]*?(\d{6})/);
  if (m) smsCode = m[1]; else await new Promise((r) => setTimeout(r, 100));
}
check(smsCode !== null, 'a verification code for the phone number reaches the development mailbox',
  `${afterSend} | ${box.slice(0, 800)}`);
await page.fill('#phone-code', smsCode ?? '000000');
await Promise.all([page.waitForNavigation(), page.click('form[action="/account/phone/confirm"] button[type="submit"]')]);
const fv = await codeFlow(confBasic, { scope: 'openid phone' });
const tv = await exchange(confBasic, fv);
const uiv = await client.fetchUserInfo(confBasic, tv.access_token, tv.claims().sub);
check(uiv.phone_number === PHONE && uiv.phone_number_verified === true && tv.claims().phone_number_verified === true,
  'after confirmation: phone_number_verified is true in userinfo and the ID token', JSON.stringify(uiv));

// what the directory holds about the person goes out only with its scope
const dir = await page.request.post(`${base}/api/directory/persons`, { data: {
  id_number: NATIONAL_ID, name: NAME, birth_date: '1990-05-17', address: '臺北市中正區重慶南路一段122號' } });
check(dir.status() === 201, 'the directory records the person (platform administrator)', dir.status());
const fa = await codeFlow(confBasic, { scope: 'openid profile address national_id' });
const ta = await exchange(confBasic, fa);
const uia = await client.fetchUserInfo(confBasic, ta.access_token, ta.claims().sub);
check(uia.address?.formatted === '臺北市中正區重慶南路一段122號' && uia.birthdate === '1990-05-17' && uia.gender === 'male',
  'userinfo: address, birthdate and gender from the directory with scopes profile and address', JSON.stringify(uia));
check(uia.national_id === NATIONAL_ID, 'userinfo: the national ID with the consented national_id scope');
const tNarrow = await client.refreshTokenGrant(confBasic, ta.refresh_token, { scope: 'openid' });
const uiNarrow = await client.fetchUserInfo(confBasic, tNarrow.access_token, ta.claims().sub);
check(uiNarrow.address === undefined && uiNarrow.national_id === undefined && uiNarrow.name === undefined,
  'userinfo: a token refreshed down to scope openid releases nothing but sub', JSON.stringify(uiNarrow));

// the ID token is not an access token; a tampered token is refused
const r401 = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${t1.id_token}` } });
check(r401.status === 401, 'an ID token is refused as an access token (wrong audience/type)');
const parts = t1.access_token.split('.');
const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(parts[1], 'base64url')), scope: 'openid profile national_id' })).toString('base64url');
const rTamper = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${parts[0]}.${forgedPayload}.${parts[2]}` } });
check(rTamper.status === 401, 'a tampered access token is refused');

// --- client_secret_post ---------------------------------------------------------
const f2 = await codeFlow(confPost);
const t2 = await exchange(confPost, f2);
check(t2.claims().aud === cPost.client_id, 'client_secret_post: code exchanged for tokens');
check(t2.claims().sub !== c1.sub || cPost.sector_identifier === cBasic.sector_identifier,
  'pairwise subjects: same person, different sector, different sub');

// --- private_key_jwt, and assertion replay ---------------------------------------
const f3 = await codeFlow(confJwt);
const t3 = await exchange(confJwt, f3);
check(t3.claims().aud === cJwt.client_id, 'private_key_jwt: code exchanged for tokens');
const now = Math.floor(Date.now() / 1000);
const assertion = await new jose.SignJWT({ jti: `jti-${now}-${Math.random()}` })
  .setProtectedHeader({ alg: 'ES256', kid: 'rp-key-1' })
  .setIssuer(cJwt.client_id).setSubject(cJwt.client_id).setAudience(meta.token_endpoint)
  .setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey);
const ccBody = () => new URLSearchParams({ grant_type: 'client_credentials',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
const a1 = await fetch(meta.token_endpoint, { method: 'POST', body: ccBody() });
check(a1.status === 200, 'private_key_jwt: client credentials with a fresh assertion');
const a2 = await fetch(meta.token_endpoint, { method: 'POST', body: ccBody() });
const a2j = await a2.json();
check(a2.status === 401 && a2j.error === 'invalid_client', 'private_key_jwt: a replayed assertion (same jti) is refused', JSON.stringify(a2j));

// --- unknown parameters ignored; consent remembered ---------------------------------
const f4 = await codeFlow(confBasic, { foo: 'bar', 'x-unknown': '1' });
const t4 = await exchange(confBasic, f4);
check(!!t4.id_token, 'unknown authorization parameters are ignored');

// --- max_age=1 → a fresh login and auth_time -----------------------------------------
await sleep(2100);
const loginsBefore = logins;
const f5 = await codeFlow(confBasic, { max_age: '1' });
const t5 = await exchange(confBasic, f5, { maxAge: 1 });
check(logins === loginsBefore + 1, 'max_age=1 asks for the password again');
check(t5.claims().auth_time >= now, 'max_age=1: auth_time is the new login', t5.claims().auth_time);

// --- prompt=login forces a login; prompt=consent shows the consent page -----------------
const loginsBefore2 = logins;
const f6 = await codeFlow(confBasic, { prompt: 'login' });
await exchange(confBasic, f6);
check(logins === loginsBefore2 + 1, 'prompt=login asks for the password again');
let sawConsent = false;
const f7 = await codeFlow(confBasic, { prompt: 'consent' }, { onConsent: async () => { sawConsent = true; } });
await exchange(confBasic, f7);
check(sawConsent, 'prompt=consent shows the consent page again');

// --- a reused code → invalid_grant and the first tokens revoked ---------------------------
const f8 = await codeFlow(confBasic);
const t8 = await exchange(confBasic, f8);
await expectError(exchange(confBasic, f8), 'a reused code gives invalid_grant',
  (e, code) => code === 'invalid_grant');
const r8 = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${t8.access_token}` } });
check(r8.status === 401, 'after code reuse the first access token is revoked');
await expectError(client.refreshTokenGrant(confBasic, t8.refresh_token), 'after code reuse the first refresh token is revoked',
  (e, code) => code === 'invalid_grant');

// --- refresh with rotation and reuse detection -------------------------------------------
const rt1 = await client.refreshTokenGrant(confBasic, t1.refresh_token);
check(rt1.access_token && rt1.refresh_token && rt1.refresh_token !== t1.refresh_token, 'refresh: new tokens, rotated refresh token');
check(rt1.claims()?.sub === c1.sub, 'refresh: the new ID token has the same sub');
await expectError(client.refreshTokenGrant(confBasic, t1.refresh_token), 'refresh: reusing a rotated token gives invalid_grant',
  (e, code) => code === 'invalid_grant');
await expectError(client.refreshTokenGrant(confBasic, rt1.refresh_token), 'refresh: reuse revoked the whole family',
  (e, code) => code === 'invalid_grant');
await expectError(client.refreshTokenGrant(confPost, t2.refresh_token + 'x'), 'refresh: an unknown token gives invalid_grant',
  (e, code) => code === 'invalid_grant');

// --- PKCE ------------------------------------------------------------------------------
const f9 = await codeFlow(confPublic);
await expectError(client.authorizationCodeGrant(confPublic, f9.back, {
  pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: f9.state, expectedNonce: f9.nonce,
}), 'PKCE: a wrong code_verifier gives invalid_grant', (e, code) => code === 'invalid_grant');
const f10 = await codeFlow(confPublic);
const t10 = await exchange(confPublic, f10);
check(!!t10.id_token, 'PKCE: a public client with S256 gets tokens');
const plainUrl = client.buildAuthorizationUrl(confPublic, { redirect_uri: redirectUri, scope: 'openid', state: 's1',
  code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' });
const plainBack = await journey(plainUrl);
check(plainBack.searchParams.get('error') === 'invalid_request' && plainBack.searchParams.get('state') === 's1',
  'PKCE: code_challenge_method=plain is refused', plainBack.href);
const noPkce = await journey(client.buildAuthorizationUrl(confPublic, { redirect_uri: redirectUri, scope: 'openid', state: 's2' }));
check(noPkce.searchParams.get('error') === 'invalid_request', 'PKCE: a public client without PKCE is refused');

// --- request objects; unregistered redirect_uri ---------------------------------------------
const reqObj = await journey(client.buildAuthorizationUrl(confBasic, { redirect_uri: redirectUri, scope: 'openid', state: 's3',
  request: 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.' }));
check(reqObj.searchParams.get('error') === 'request_not_supported', 'a request object is refused as unsupported');
const hitsBefore = hits.length;
const bad = await page.goto(client.buildAuthorizationUrl(confBasic, { redirect_uri: `${rpBase}/evil`, scope: 'openid', state: 's4' }).href);
check(bad.status() === 400 && new URL(page.url()).origin === issuerUrl.origin && !hits.slice(hitsBefore).some((h) => h.startsWith('/evil')),
  'an unregistered redirect_uri shows an error page and never redirects', `${bad.status()} ${page.url()}`);
const badText = await page.textContent('main');
check(/未經註冊|not registered/.test(badText), 'the error page explains the refusal', badText.slice(0, 160));
const unknown = await page.goto(`${base}/oidc/authorize?client_id=nope&redirect_uri=${encodeURIComponent(redirectUri)}&response_type=code&scope=openid`);
check(unknown.status() === 400 && new URL(page.url()).origin === issuerUrl.origin, 'an unknown client shows an error page');

// --- English pages by ui_locales -----------------------------------------------------------
let enHtml = '';
await codeFlow(confPost, { prompt: 'consent', ui_locales: 'en' }, { onConsent: async (p) => { enHtml = await p.content(); }, consent: 'deny' })
  .then((f) => check(f.back.searchParams.get('error') === 'access_denied', 'denying consent gives access_denied'));
check(/Allow/.test(enHtml) && /lang="en"/.test(enHtml), 'ui_locales=en gives the English consent page');

// --- client credentials, introspection, revocation -----------------------------------------
const cc = await client.clientCredentialsGrant(confBasic);
check(!!cc.access_token && cc.refresh_token === undefined, 'client credentials: an access token, no refresh token');
const in1 = await client.tokenIntrospection(confBasic, cc.access_token);
check(in1.active === true && in1.client_id === cBasic.client_id, 'introspection: the token is active');
await client.tokenRevocation(confBasic, cc.access_token);
const in2 = await client.tokenIntrospection(confBasic, cc.access_token);
check(in2.active === false, 'revocation: the access token is no longer active');
const in3 = await client.tokenIntrospection(confBasic, 'not-a-token');
check(in3.active === false, 'introspection: garbage is inactive');
const wrong = await fetch(meta.token_endpoint, { method: 'POST', headers: {
  authorization: 'Basic ' + Buffer.from(`${cBasic.client_id}:wrong`).toString('base64') },
body: new URLSearchParams({ grant_type: 'client_credentials' }) });
check(wrong.status === 401 && (await wrong.json()).error === 'invalid_client', 'a wrong client secret gives invalid_client');
const ugt = await fetch(meta.token_endpoint, { method: 'POST', body: new URLSearchParams({ grant_type: 'password' }) });
check(ugt.status === 400 && (await ugt.json()).error === 'unsupported_grant_type', 'an unknown grant type gives unsupported_grant_type');
const rt5 = await client.refreshTokenGrant(confBasic, t5.refresh_token);
await client.tokenRevocation(confBasic, rt5.refresh_token);
await expectError(client.refreshTokenGrant(confBasic, rt5.refresh_token), 'revocation: a revoked refresh token gives invalid_grant',
  (e, code) => code === 'invalid_grant');

// --- registration by an agency administrator: API and page -------------------------------
const apiBody = { client_name: 'Agency <b>portal</b> 測試', agency: AGENCY, redirect_uris: [redirectUri],
  token_endpoint_auth_method: 'client_secret_post' };
const regApi = await page.request.post(`${base}/api/oidc/clients`, { data: apiBody });
const regJson = await regApi.json();
check(regApi.status() === 201 && regJson.agency === AGENCY && typeof regJson.client_secret === 'string',
  'API: an agency administrator registers a client of the agency', `${regApi.status()} ${JSON.stringify(regJson).slice(0, 200)}`);
// someone who administers nothing: a second citizen in a second browser
cli('account', 'add', '--national-id', 'B123456780', '--name', '林美華', '--password-file', pwFile);
const ctx2 = await browser.newContext({ locale: 'zh-TW' });
const page2 = await ctx2.newPage();
await page2.goto(`${base}/login?return_to=%2F`);
await page2.fill('input[name="login"]', 'B123456780');
await page2.fill('input[type="password"]', PASSWORD);
await Promise.all([page2.waitForNavigation(), page2.click('form[action="/login"] button[type="submit"]')]);
const regOther = await page2.request.post(`${base}/api/oidc/clients`, { data: apiBody });
check(regOther.status() === 403, 'API: nobody registers clients of an agency they do not administer', regOther.status());
const pageOther = await page2.goto(`${base}/oidc/clients?agency=${AGENCY}`);
check(pageOther.status() === 403, 'clients page: refused to a non-administrator', pageOther.status());
await ctx2.close();
const regBad = await page.request.post(`${base}/api/oidc/clients`, { data: { ...apiBody, redirect_uris: ['http://evil.example/cb'] } });
check(regBad.status() === 400 && (await regBad.json()).field === 'redirect_uris', 'API: a plain-http redirect URI is refused, naming the field');
const anon = await fetch(`${base}/api/oidc/clients?agency=${AGENCY}`);
check(anon.status === 401, 'API: the client list needs a signed-in administrator');
const listed = await (await page.request.get(`${base}/api/oidc/clients?agency=${AGENCY}`)).json();
check(listed.clients?.some((c) => c.client_id === regJson.client_id && c.client_secret === undefined),
  'API: the agency\'s clients are listed, without secrets');
const confApi = await client.discovery(issuerUrl, regJson.client_id, undefined,
  client.ClientSecretPost(regJson.client_secret), opts);
let apiConsent = '';
await codeFlow(confApi, {}, { onConsent: async (p) => { apiConsent = await p.content(); await axeCheck(p, 'consent page'); } });
check(apiConsent.includes('Agency &lt;b&gt;portal&lt;/b&gt; 測試') && !apiConsent.includes('<b>portal</b>'),
  'consent page: the application name is HTML-escaped');
await page.goto(`${base}/oidc/clients?agency=${AGENCY}`);
check(/Agency &lt;b&gt;portal&lt;\/b&gt; 測試/.test(await page.content()), 'clients page: names are HTML-escaped');
await axeCheck(page, 'clients page');
await page.fill('#client-name', 'Page registered app');
await page.fill('#client-redirects', `${redirectUri}\n${rpBase}/cb2`);
await page.selectOption('#client-auth', 'client_secret_basic');
await Promise.all([page.waitForNavigation(), page.click('form[action="/oidc/clients"] button[type="submit"]')]);
const pageText = await page.textContent('main');
const pageId = (await page.locator('dd code').first().textContent())?.trim();
const pageSecret = (await page.locator('dd code').nth(1).textContent())?.trim();
check(/client_secret/.test(pageText) && pageId && pageSecret, 'clients page: the form registers a client and shows its secret once');
const confAgency = await client.discovery(issuerUrl, pageId, undefined, client.ClientSecretBasic(pageSecret), opts);
const ccA = await client.clientCredentialsGrant(confAgency);
const ccClaims = jose.decodeJwt(ccA.access_token);
check(ccClaims.agency === AGENCY && ccClaims.client_id === pageId, 'an agency client\'s access token names its agency');

// --- the person withdraws a consent: the application's tokens die with it -------------------
const fw = await codeFlow(confPost);
const tw = await exchange(confPost, fw);
await page.goto(`${base}/oidc/consents`);
await axeCheck(page, 'consents page');
const row = page.locator('tr', { hasText: 'RP client_secret_post' });
check(await row.count() === 1, 'consents page lists the application');
await Promise.all([page.waitForNavigation(), row.locator('button').click()]);
check(/撤回|withdrawn/.test(await page.textContent('main')), 'consents page confirms the withdrawal');
const rw = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tw.access_token}` } });
check(rw.status === 401, 'after withdrawal the access token is refused');
await expectError(client.refreshTokenGrant(confPost, tw.refresh_token), 'after withdrawal the refresh token is refused',
  (e, code) => code === 'invalid_grant');
let askedAgain = false;
const fw2 = await codeFlow(confPost, {}, { onConsent: async () => { askedAgain = true; } });
await exchange(confPost, fw2);
check(askedAgain, 'after withdrawal the consent page is shown again');

// --- RP-initiated logout, then prompt=none → login_required ---------------------------------
const fl = await codeFlow(confBasic);
const tl = await exchange(confBasic, fl);
const endUrl = client.buildEndSessionUrl(confBasic, { id_token_hint: tl.id_token, post_logout_redirect_uri: logoutUri, state: 'bye-1' });
await page.goto(endUrl.href);
const afterLogout = new URL(page.url());
check(afterLogout.origin === rpBase && afterLogout.pathname === '/bye' && afterLogout.searchParams.get('state') === 'bye-1',
  'logout: back at the registered post_logout_redirect_uri with state', page.url());
// the session's refresh tokens die with it: invalid_grant at /token, active=false at introspection
await expectError(client.refreshTokenGrant(confBasic, tl.refresh_token), 'logout: the session\'s refresh token is refused at /token',
  (e, code) => code === 'invalid_grant');
const inLogout = await client.tokenIntrospection(confBasic, tl.refresh_token);
check(inLogout.active === false, 'logout: introspection says the session\'s refresh token is inactive', JSON.stringify(inLogout));
const inLogoutAt = await client.tokenIntrospection(confBasic, tl.access_token);
check(inLogoutAt.active === false, 'logout: introspection says the session\'s access token is inactive', JSON.stringify(inLogoutAt));
const uiLogout = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tl.access_token}` } });
check(uiLogout.status === 401, 'logout: the session\'s access token is refused at userinfo', uiLogout.status);
const evil = await page.goto(client.buildEndSessionUrl(confBasic, { id_token_hint: tl.id_token, post_logout_redirect_uri: `${rpBase}/evil` }).href);
check(evil.status() === 400 && new URL(page.url()).origin === issuerUrl.origin, 'logout: an unregistered post_logout_redirect_uri is not followed');
const none = await journey(client.buildAuthorizationUrl(confBasic, { redirect_uri: redirectUri, scope: 'openid', prompt: 'none', state: 's5' }));
check(none.searchParams.get('error') === 'login_required' && none.searchParams.get('state') === 's5',
  'prompt=none while logged out gives login_required');

// logout without id_token_hint asks first, on a form with a CSRF token
const fq = await codeFlow(confBasic);
const tq = await exchange(confBasic, fq);
const inBefore = await client.tokenIntrospection(confBasic, tq.refresh_token);
check(inBefore.active === true, 'a fresh refresh token is active at introspection', JSON.stringify(inBefore));
await page.goto(`${base}/oidc/logout?ui_locales=en`);
check(await page.locator('form[action="/oidc/logout"] input[name="csrf_token"]').count() === 1,
  'logout without id_token_hint asks for confirmation on a CSRF-protected form');
await axeCheck(page, 'logout confirmation page');
await Promise.all([page.waitForNavigation(), page.click('form[action="/oidc/logout"] button[type="submit"]')]);
check(/signed out/.test(await page.textContent('main')), 'logout: confirmed in English');
await expectError(client.refreshTokenGrant(confBasic, tq.refresh_token), 'confirmed logout: the session\'s refresh token is refused',
  (e, code) => code === 'invalid_grant');
check((await client.tokenIntrospection(confBasic, tq.refresh_token)).active === false,
  'confirmed logout: introspection says the refresh token is inactive');
const forged = await fetch(`${base}/oidc/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: 'confirm=1' });
check(forged.status === 403, 'logout: a cross-site form without the CSRF token is refused', forged.status);
const after = await journey(client.buildAuthorizationUrl(confBasic, { redirect_uri: redirectUri, scope: 'openid', prompt: 'none', state: 's6' }));
check(after.searchParams.get('error') === 'login_required', 'after the confirmed logout the session is gone');

await browser.close();
rp.close();
finish('# ');
