// Sync end to end: a locally started sync server (sync-server/scripts/run-local.sh on a
// private Postgres cluster), two Chromium profiles with the built extension. A card added in
// one appears in the other, a gift card goes back the other way, bad input gets clear
// messages, and a dump of the database afterwards holds none of the plaintext wallet values.
// Last, the account is deleted: the server forgets it, every device is signed out, and each
// keeps its wallet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { execFileSync, spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { Builder, By, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { artifactPath, requireBuilt, waitFor, grantInProfile, root } from './support.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const cache = process.env.STACKSMART_CACHE ?? path.join(os.homedir(), '.cache', 'stacksmart');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(cache, 'target');
const EMAIL = 'e2e-shopper@example.com';
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
const RECOVERED_PASSWORD = 'set again after loss';
// Values that must never reach the server in clear.
const NICKNAME = 'E2E-SECRET-NICKNAME';
const GIFT_CODE = 'E2E-SECRET-GIFT-CODE';
const GIFT_MERCHANT = 'flipkart.com';

let pgDir;
let serverUrl;
let pgPort;
let recoveryKey;
const profiles = [];
let gecko;
const pageErrors = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The debug server binary `make test-native` built (else build it). */
function serverBinary() {
  const bin = path.join(targetDir, 'debug', 'stacksmart-sync-server');
  if (!fs.existsSync(bin)) {
    execFileSync('cargo', ['build', '--quiet', '-p', 'stacksmart-sync-server'], { cwd: root, stdio: 'inherit' });
  }
  return bin;
}

async function launch(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `stacksmart-sync-${name}-`));
  const ext = path.join(dir, 'extension');
  execFileSync('unzip', ['-q', path.join(root, 'dist', 'stacksmart-chrome.zip'), '-d', ext]);
  // The sign-in asks the browser for the server's origin (an optional host permission), and
  // headless Chromium cannot answer that prompt: the profile gets the grant a click on
  // "Allow" leaves behind (support.js), between a first start that installs the extension
  // and the start the test uses. Every site, as when the shopper allowed that on the welcome
  // page: Chromium 156 still prompted for `http://127.0.0.1:<port>/*` with only
  // `http://127.0.0.1/*` granted (though `permissions.contains` said yes).
  const first = await start(dir, ext);
  await first.context.close();
  grantInProfile(path.join(dir, 'profile'), first.id, ['http://*/*', 'https://*/*']);
  const { context, id } = await start(dir, ext);
  const profile = { name, dir, context, id };
  profiles.push(profile);
  return profile;
}

async function start(dir, ext) {
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    locale: 'en-US',
    args: [
      `--disable-extensions-except=${ext}`, `--load-extension=${ext}`, '--no-sandbox', '--disable-gpu',
      '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--disable-sync', '--disable-quic',
    ],
  });
  const sw = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker', { timeout: 10_000 });
  return { context, id: new URL(sw.url()).host };
}

async function openOptions(profile) {
  const page = await profile.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${profile.name}: ${error.message}`));
  await page.goto(`chrome-extension://${profile.id}/options.html`);
  await page.getByTestId('ready').waitFor();
  return page;
}

async function fillAccount(page, { server = serverUrl, email = EMAIL, password = PASSWORD } = {}) {
  await page.getByTestId('sync-server').fill(server);
  await page.getByTestId('sync-email').fill(email);
  await page.getByTestId('sync-password').fill(password);
}

async function syncError(page) {
  const alert = page.getByTestId('sync-error');
  await alert.waitFor();
  assert.equal(await alert.getAttribute('role'), 'alert');
  return alert.textContent();
}

/** Waits until the section says the last round went out and nothing waits. */
async function synced(page) {
  try {
    await waitFor(async () => (await page.getByTestId('sync-status').getAttribute('data-state')) === 'synced',
      { timeout: 20_000, what: 'the sync status to say synced' });
  } catch (error) {
    const said = await page.getByTestId('sync').textContent().catch(() => '?');
    throw new Error(`${error.message}; the sync section says: ${said}`);
  }
}

function psql(sql) {
  return execFileSync('psql', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-d', 'stacksmart', '-Atc', sql],
    { encoding: 'utf8' });
}

function dumpDatabase() {
  const bindir = fs.readdirSync('/usr/lib/postgresql').sort().map((v) => `/usr/lib/postgresql/${v}/bin`)
    .filter((d) => fs.existsSync(`${d}/pg_dump`)).pop();
  const pgDump = bindir ? `${bindir}/pg_dump` : 'pg_dump';
  return execFileSync(pgDump, ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', 'stacksmart'],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
}

before(async () => {
  requireBuilt('chrome');
  // Postgres runs as the unprivileged stacksmart-pg user, which must reach this folder.
  pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stacksmart-e2e-pg-'));
  fs.chmodSync(pgDir, 0o755);
  pgPort = await freePort();
  const port = await freePort();
  serverUrl = `http://127.0.0.1:${port}`;
  execFileSync(path.join(root, 'sync-server/scripts/run-local.sh'), ['--background', path.join(pgDir, 'pg')], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      STACKSMART_PG_PORT: String(pgPort),
      STACKSMART_BIND: `127.0.0.1:${port}`,
      STACKSMART_SERVER_BIN: serverBinary(),
      // Small Argon2id costs for a test (the server's floor for clients: 8 MiB, 1 pass).
      STACKSMART_CLIENT_KDF_M_KIB: '8192',
      STACKSMART_CLIENT_KDF_T: '1',
      STACKSMART_ARGON2_M_KIB: '1024',
      STACKSMART_ARGON2_T: '1',
      STACKSMART_LOG_FORMAT: 'text',
      // The tests sign in, out and again from one address with one email within a minute or
      // two: the auth limits (30 a minute per IP, 10 logins per email) are not what they test.
      STACKSMART_RATE_AUTH_PER_IP: '600',
      STACKSMART_RATE_LOGIN_PER_EMAIL: '600',
    },
  });
});

after(async () => {
  await gecko?.quit().catch(() => {});
  for (const p of profiles) {
    await p.context.close().catch(() => {});
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
  if (pgDir) {
    try {
      execFileSync(path.join(root, 'sync-server/scripts/run-local.sh'), ['--stop', path.join(pgDir, 'pg')], { cwd: root, stdio: 'inherit' });
    } finally {
      fs.rmSync(pgDir, { recursive: true, force: true });
    }
  }
});

test('two Chromium profiles sync through a local server; the database holds no plaintext', { timeout: 120_000 }, async () => {
  const a = await launch('a');
  const b = await launch('b');
  const pageA = await openOptions(a);

  // Bad input first: a bad address and a server that is down say so, and change nothing.
  await fillAccount(pageA, { server: 'sync.example' });
  await pageA.getByTestId('sync-signin').click();
  assert.match(await syncError(pageA), /not a server address/);
  const down = `http://127.0.0.1:${await freePort()}`;
  await fillAccount(pageA, { server: down });
  await pageA.getByTestId('sync-signin').click();
  assert.match(await syncError(pageA), /Could not reach the sync server/);

  // Sign up on A: the recovery key is shown once.
  await fillAccount(pageA);
  const started = Date.now();
  await pageA.getByTestId('sync-signup').click();
  const recovery = pageA.getByTestId('recovery-key');
  await recovery.waitFor({ timeout: 20_000 });
  const signUpMs = Date.now() - started;
  recoveryKey = await recovery.textContent();
  assert.match(recoveryKey, /^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
  const kdfMs = Number(await pageA.getByTestId('sync').getAttribute('data-kdf-ms'));
  await pageA.getByTestId('recovery-saved').click();
  assert.equal(await pageA.getByTestId('recovery-key').count(), 0, 'shown once');
  await synced(pageA);
  assert.equal(await pageA.getByTestId('sync-account').textContent(), EMAIL);

  // A adds a catalogue card and names it; the change goes out on its own.
  await pageA.getByTestId('catalogue-search').fill('millennia');
  const result = pageA.locator('[data-testid="catalogue-result"][data-card="hdfc-millennia"]');
  await result.getByTestId('add-card').click();
  const cardA = pageA.locator('[data-testid="wallet-card"][data-card="hdfc-millennia"]');
  await cardA.waitFor();
  const stored = await pageA.evaluate(async () => (await chrome.storage.local.get('wallet')).wallet);
  stored.cards[0].nickname = NICKNAME;
  await pageA.evaluate(async (w) => chrome.runtime.sendMessage({ type: 'save_wallet', wallet: w }), stored);
  await waitFor(async () => (await pageA.getByTestId('card-name').allTextContents()).includes(NICKNAME),
    { what: 'the nickname on A' });
  await waitFor(() => psql('SELECT count(*) FROM records').trim() !== '0', { what: 'records on the server' });
  await synced(pageA);

  // B: a wrong password is refused with a clear message, then the right one signs in and
  // the card appears.
  const pageB = await openOptions(b);
  await fillAccount(pageB, { password: 'not the password' });
  await pageB.getByTestId('sync-signin').click();
  assert.match(await syncError(pageB), /Wrong email or password/);
  await fillAccount(pageB);
  const signInStarted = Date.now();
  await pageB.getByTestId('sync-signin').click();
  await synced(pageB);
  const firstSyncMs = Date.now() - signInStarted;
  await waitFor(async () => (await pageB.getByTestId('card-name').allTextContents()).includes(NICKNAME),
    { timeout: 10_000, what: 'the card from A on B' });

  // B adds a gift card; A syncs and has it.
  await pageB.getByTestId('gift-merchant').fill(GIFT_MERCHANT);
  await pageB.getByTestId('gift-balance').fill('987.65');
  await pageB.getByTestId('gift-keep-code').check();
  await pageB.getByTestId('gift-code').fill(GIFT_CODE);
  await pageB.getByTestId('gift-add').click();
  await pageB.locator(`[data-testid="gift-card"][data-merchant="${GIFT_MERCHANT}"]`).waitFor();
  await synced(pageB);
  await pageA.getByTestId('sync-now').click();
  await pageA.locator(`[data-testid="gift-card"][data-merchant="${GIFT_MERCHANT}"]`).waitFor({ timeout: 10_000 });
  const walletA = await pageA.evaluate(async () => (await chrome.storage.local.get('wallet')).wallet);
  const walletB = await pageB.evaluate(async () => (await chrome.storage.local.get('wallet')).wallet);
  const strip = (w) => ({ ...w, updated_at_ms: 0 });
  assert.deepEqual(strip(walletA), strip(walletB), 'both profiles hold the same wallet');

  // The devices list shows both browsers.
  await pageA.getByTestId('sync-devices').click();
  await waitFor(async () => (await pageA.getByTestId('device').count()) === 2, { what: 'two devices' });
  // Each device's action stands apart from its dates (beside them with a gap, or below), at
  // any width, and the dates read as dates, not as the server's timestamps.
  for (const width of [800, 360]) {
    await pageA.setViewportSize({ width, height: 900 });
    const apart = await pageA.getByTestId('device').evaluateAll((items) => items.map((li) => {
      const action = li.querySelector('.device-action').getBoundingClientRect();
      const dates = li.querySelector('.device-dates').getBoundingClientRect();
      return action.top >= dates.bottom - 1 || action.left - dates.right >= 8;
    }));
    assert.deepEqual(apart, [true, true], `the action apart from the dates at ${width} px`);
    await pageA.getByTestId('device-list').screenshot({ path: artifactPath(`chromium-sync-devices-${width}.png`) });
  }
  await pageA.setViewportSize({ width: 1280, height: 720 });
  assert.doesNotMatch(await pageA.getByTestId('device-list').textContent(), /\d{4}-\d{2}-\d{2}T/);
  assert.equal(await pageA.getByTestId('revoke-device').count(), 1, 'the other browser can be revoked, this one not');

  // Secrets stay out of the wallet export and out of the synced data.
  const secrets = await pageA.evaluate(async () => (await chrome.storage.local.get('sync-account'))['sync-account']);
  assert.ok(secrets.token && secrets.data_key, 'the session and data key live in storage.local');
  await pageA.screenshot({ path: artifactPath('chromium-sync.png'), fullPage: true });

  // Privacy: a dump of the whole database holds none of the wallet's values.
  const dump = dumpDatabase();
  assert.ok(dump.includes(EMAIL), 'the dump is of the right database');
  for (const secret of [NICKNAME, GIFT_CODE, GIFT_MERCHANT, 'hdfc-millennia', '987.65', PASSWORD, secrets.data_key]) {
    assert.ok(!dump.includes(secret), `${secret} reached the database`);
  }
  console.log(`sync e2e figures: Argon2id (8 MiB, t=1) on the options page ${kdfMs} ms; sign-up incl. first sync ${signUpMs} ms; `
    + `sign-in with first sync of the account ${firstSyncMs} ms`);
  assert.deepEqual(pageErrors, []);
});

test('a password change re-wraps the key: the new password signs in elsewhere; the recovery key replaces a lost one, and a new one re-keys the account', { timeout: 120_000 }, async () => {
  const [a, b] = profiles;
  assert.ok(a && b, 'runs after the sync test');
  const pageA = await openOptions(a);
  await pageA.getByTestId('sync-status').waitFor();
  // A wrong current password changes nothing.
  await pageA.getByTestId('sync-current-password').fill('not it at all');
  await pageA.getByTestId('sync-new-password').fill(NEW_PASSWORD);
  await pageA.getByTestId('sync-change-password').click();
  assert.match(await syncError(pageA), /Wrong email or password/);
  await pageA.getByTestId('sync-current-password').fill(PASSWORD);
  await pageA.getByTestId('sync-new-password').fill(NEW_PASSWORD);
  await pageA.getByTestId('sync-change-password').click();
  await pageA.getByTestId('sync-info').filter({ hasText: 'Password changed' }).waitFor();

  // B signs out (the wallet stays), then the old password no longer works and the new one does.
  const pageB = await openOptions(b);
  await pageB.getByTestId('sync-signout').click();
  await pageB.getByTestId('sync-form').waitFor();
  assert.ok((await pageB.getByTestId('card-name').allTextContents()).includes(NICKNAME), 'the wallet stays after sign-out');
  const gone = await pageB.evaluate(async () => chrome.storage.local.get(['sync-account', 'sync-state']));
  assert.deepEqual(gone, {}, 'the token, key and sync state left the device');
  await fillAccount(pageB);
  await pageB.getByTestId('sync-signin').click();
  assert.match(await syncError(pageB), /Wrong email or password/);
  await fillAccount(pageB, { password: NEW_PASSWORD });
  await pageB.getByTestId('sync-signin').click();
  await synced(pageB);

  // The password is lost: B signs out and comes back with the recovery key and a new password.
  await pageB.getByTestId('sync-signout').click();
  // A link-styled action looks like a link, not like the page's filled buttons.
  const look = await pageB.getByTestId('sync-lost').evaluate((b) => {
    const s = getComputedStyle(b);
    return { background: s.backgroundColor, underline: s.textDecorationLine };
  });
  assert.deepEqual(look, { background: 'rgba(0, 0, 0, 0)', underline: 'underline' });
  await pageB.getByTestId('sync-lost').click();
  await fillAccount(pageB, { password: RECOVERED_PASSWORD });
  await pageB.getByTestId('sync-recovery-key').fill('AAAA-BBBB');
  await pageB.getByTestId('sync-recover').click();
  assert.match(await syncError(pageB), /recovery key/);
  await pageB.getByTestId('sync-recovery-key').fill(recoveryKey.toLowerCase());
  await pageB.getByTestId('sync-recover').click();
  await synced(pageB);
  assert.ok((await pageB.getByTestId('card-name').allTextContents()).includes(NICKNAME));
  // A, still signed in, keeps syncing (its data key did not change).
  await pageA.getByTestId('sync-now').click();
  await synced(pageA);

  // The recovery key was seen by someone else: B makes a new one, with the password as proof.
  // That replaces the data key the old one unwrapped: every record is sealed again under new
  // ids, and the other devices are signed out.
  const idsBefore = psql('SELECT id FROM records').trim().split('\n');
  const dataKey = async (page) => (await page.evaluate(async () => chrome.storage.local.get('sync-account')))['sync-account'].data_key;
  const keyBefore = await dataKey(pageB);
  // First B deletes the gift card, which A (not synced since) still holds: A's copy must not
  // bring it back after the new key.
  const tombstones = Number(psql('SELECT count(*) FROM records WHERE deleted'));
  const walletB = await pageB.evaluate(async () => (await chrome.storage.local.get('wallet')).wallet);
  assert.equal(walletB.gift_cards.length, 1);
  walletB.gift_cards = [];
  await pageB.evaluate(async (w) => chrome.runtime.sendMessage({ type: 'save_wallet', wallet: w }), walletB);
  await waitFor(() => Number(psql('SELECT count(*) FROM records WHERE deleted')) > tombstones,
    { what: "B's deletion on the server" });
  await synced(pageB);
  await pageB.getByTestId('sync-new-recovery').click();
  await pageB.getByTestId('sync-new-recovery-password').fill('not it at all');
  await pageB.getByTestId('sync-new-recovery-confirm').click();
  assert.match(await syncError(pageB), /Wrong email or password/);
  await pageB.getByTestId('sync-new-recovery-password').fill(RECOVERED_PASSWORD);
  await pageB.getByTestId('sync-new-recovery-confirm').click();
  const shown = pageB.getByTestId('recovery-key');
  await shown.waitFor({ timeout: 20_000 });
  const newKey = await shown.textContent();
  assert.match(newKey, /^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
  assert.notEqual(newKey, recoveryKey);
  await pageB.getByTestId('sync-info').filter({ hasText: 'the old recovery key opens nothing any more' }).waitFor();
  await pageB.getByTestId('recovery-saved').click();
  assert.equal(await pageB.getByTestId('recovery-key').count(), 0, 'shown once');
  assert.equal(await pageB.getByTestId('new-recovery-form').count(), 0, 'the form closed');
  const idsAfter = psql('SELECT id FROM records').trim().split('\n');
  assert.equal(idsAfter.length, psql('SELECT count(*) FROM records WHERE NOT deleted').trim() * 1, 'live records only');
  assert.ok(idsAfter.every((id) => !idsBefore.includes(id)), 'every record has a new id');
  assert.notEqual(await dataKey(pageB), keyBefore, 'B holds the new data key');
  assert.equal(psql('SELECT count(*) FROM sessions').trim(), '1', 'only B is still signed in');
  await synced(pageB);
  // A held the old key: the server no longer accepts it, and nothing it holds is pushed.
  await pageA.getByTestId('sync-now').click();
  assert.match(await syncError(pageA), /no longer accepts this device's sign-in/);
  await pageA.getByTestId('sign-in-again-form').waitFor();
  // The old key no longer recovers the account; the new one does.
  await pageB.getByTestId('sync-signout').click();
  await pageB.getByTestId('sync-lost').click();
  await fillAccount(pageB, { password: RECOVERED_PASSWORD });
  await pageB.getByTestId('sync-recovery-key').fill(recoveryKey);
  await pageB.getByTestId('sync-recover').click();
  assert.match(await syncError(pageB), /^Wrong email or password \(or recovery key\)\.$/);
  recoveryKey = newKey;
  await pageB.getByTestId('sync-recovery-key').fill(recoveryKey);
  await pageB.getByTestId('sync-recover').click();
  await synced(pageB);
  assert.ok((await pageB.getByTestId('card-name').allTextContents()).includes(NICKNAME));
  // A signs in again with the password, which unwraps the new key: A keeps its sync state
  // for the account, so B's deletion applies on A instead of A's older copy undoing it.
  assert.ok((await pageA.evaluate(async () => (await chrome.storage.local.get('wallet')).wallet)).gift_cards.length === 1);
  await pageA.getByTestId('sync-again-password').fill(RECOVERED_PASSWORD);
  await pageA.getByTestId('sync-sign-in-again').click();
  await pageA.getByTestId('sync-info').filter({ hasText: 'Signed in again' }).waitFor({ timeout: 20_000 });
  await synced(pageA);
  assert.equal(await pageA.getByTestId('sign-in-again-form').count(), 0, 'the form is gone');
  assert.equal(await dataKey(pageA), await dataKey(pageB));
  assert.ok((await pageA.getByTestId('card-name').allTextContents()).includes(NICKNAME));
  const giftCards = async (page) => (await page.evaluate(async () => (await chrome.storage.local.get('wallet')).wallet)).gift_cards;
  assert.deepEqual(await giftCards(pageA), [], "B's deletion applied on A");
  await pageB.getByTestId('sync-now').click();
  await synced(pageB);
  assert.deepEqual(await giftCards(pageB), [], 'and A did not bring the gift card back');
  assert.deepEqual(pageErrors, []);
});

test('Firefox signs in to the same account: it gets the wallet, and its edit reaches Chromium', { timeout: 90_000 }, async () => {
  const [a] = profiles;
  assert.ok(a, 'runs after the Chromium tests');
  const manifest = requireBuilt('firefox');
  const uuid = '0b7d6c1e-5a4f-4e3b-8c2d-1f0e9a8b7c6d';
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr')
    .addArguments('-headless')
    .windowSize({ width: 900, height: 1400 })
    .setPreference('extensions.webextensions.uuids', JSON.stringify({ [manifest.browser_specific_settings.gecko.id]: uuid }))
    // The sign-in's request for the server's origin is granted without drawing the prompt.
    .setPreference('extensions.webextOptionalPermissionPrompts', false)
    .setPreference('intl.locale.requested', 'en-US')
    .setPreference('datareporting.policy.dataSubmissionEnabled', false)
    .setPreference('app.update.enabled', false);
  const geckodriver = process.env.GECKODRIVER
    ?? execFileSync('sh', ['-c', 'command -v geckodriver'], { encoding: 'utf8' }).trim();
  const service = new firefox.ServiceBuilder(geckodriver).addArguments('--allow-system-access');
  gecko = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
  await gecko.installAddon(path.join(root, 'dist', 'stacksmart-firefox.zip'), true);
  await gecko.get(`moz-extension://${uuid}/options.html`);
  const located = (selector) => gecko.wait(until.elementLocated(By.css(selector)), 15_000);
  await located('[data-testid="ready"]');
  for (const [id, value] of [['sync-server', serverUrl], ['sync-email', EMAIL], ['sync-password', RECOVERED_PASSWORD]]) {
    await (await located(`[data-testid="${id}"]`)).sendKeys(value);
  }
  await (await located('[data-testid="sync-signin"]')).click();
  await located('[data-testid="sync-status"][data-state="synced"]').catch(async (error) => {
    const said = await gecko.findElement(By.css('[data-testid="sync"]')).getText().catch(() => '?');
    throw new Error(`${error.message}; the sync section says: ${said}`);
  });
  await waitFor(async () => (await gecko.findElements(By.css('[data-testid="card-name"]'))).length > 0,
    { what: 'the synced cards in Firefox' });
  const names = await Promise.all((await gecko.findElements(By.css('[data-testid="card-name"]'))).map((e) => e.getText()));
  assert.ok(names.includes(NICKNAME), `Firefox shows ${names}`);

  // Firefox edits (a membership); Chromium syncs and has it.
  const saved = await gecko.executeAsyncScript(function (done) {
    chrome.storage.local.get('wallet').then(({ wallet }) => {
      wallet.memberships = [...(wallet.memberships ?? []), 'e2e-firefox-club'];
      return chrome.runtime.sendMessage({ type: 'save_wallet', wallet });
    }).then((answer) => done(answer.type), (e) => done(`error: ${e}`));
  });
  assert.equal(saved, 'wallet');
  await located('[data-testid="sync-status"][data-state="synced"]');
  const pageA = await openOptions(a);
  await pageA.getByTestId('sync-now').click();
  await waitFor(async () => {
    const w = await pageA.evaluate(async () => (await chrome.storage.local.get('wallet')).wallet);
    return (w.memberships ?? []).includes('e2e-firefox-club');
  }, { timeout: 15_000, what: "Firefox's membership in Chromium" });
  assert.deepEqual(pageErrors, []);
});

test('deleting the account removes it from the server and signs every device out; the wallet stays', { timeout: 90_000 }, async () => {
  const [a, b] = profiles;
  assert.ok(a && b, 'runs after the sync tests');
  const pageA = await openOptions(a);
  await pageA.getByTestId('sync-status').waitFor();
  await pageA.getByTestId('sync-delete').click();
  // The wrong password deletes nothing.
  await pageA.getByTestId('sync-delete-password').fill('not it at all');
  await pageA.getByTestId('sync-delete-confirm').click();
  assert.match(await syncError(pageA), /Wrong email or password/);
  assert.equal(psql('SELECT count(*) FROM accounts').trim(), '1');
  await pageA.getByTestId('sync-delete-password').fill(RECOVERED_PASSWORD);
  await pageA.getByTestId('sync-delete-confirm').click();
  await pageA.getByTestId('sync-info').filter({ hasText: 'Account deleted' }).waitFor({ timeout: 20_000 });
  await pageA.getByTestId('sync-form').waitFor();
  for (const table of ['accounts', 'sessions', 'records']) {
    assert.equal(psql(`SELECT count(*) FROM ${table}`).trim(), '0', `${table} emptied`);
  }
  // This device forgot the account and its state, and kept the wallet.
  const gone = await pageA.evaluate(async () => chrome.storage.local.get(['sync-account', 'sync-state']));
  assert.deepEqual(gone, {}, 'the token, key and sync state left the device');
  assert.ok((await pageA.getByTestId('card-name').allTextContents()).includes(NICKNAME), 'the wallet stays');

  // Signing in again with the same email and password fails: there is no account.
  await fillAccount(pageA, { password: RECOVERED_PASSWORD });
  await pageA.getByTestId('sync-signin').click();
  assert.match(await syncError(pageA), /Wrong email or password/);
  assert.equal(await pageA.getByTestId('sync-status').count(), 0, 'still signed out');

  // B was signed in too: the server no longer knows it, and B keeps its wallet.
  const pageB = await openOptions(b);
  await pageB.getByTestId('sync-now').click();
  assert.match(await syncError(pageB), /no longer accepts this device's sign-in/);
  assert.ok((await pageB.getByTestId('card-name').allTextContents()).includes(NICKNAME), 'B keeps its wallet');
  await pageA.screenshot({ path: artifactPath('chromium-sync-deleted.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test('a server that answers 429 with Retry-After (an HTTP-date) gets no other round before then', { timeout: 60_000 }, async () => {
  // A stand-in server: every request is rate-limited for two minutes, and counted.
  const requests = [];
  const busy = http.createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': req.headers.origin ?? '*',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-allow-methods': 'GET, POST, DELETE',
      'access-control-expose-headers': 'retry-after',
    };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(429, { ...cors, 'content-type': 'application/json',
      'retry-after': new Date(Date.now() + 120_000).toUTCString() })
      .end(JSON.stringify({ code: 'rate_limited', message: 'too many requests' }));
  });
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    const c = await launch('c');
    const page = await openOptions(c);
    // Signed in to the stand-in (as a sign-in would leave it), with a fresh sync state.
    await page.evaluate(async (server) => chrome.storage.local.set({
      'sync-account': { server, email: 'busy@example.com', device_id: 1, token: 'ss1_test',
        data_key: btoa(String.fromCharCode(...new Uint8Array(32).fill(7))) },
      'sync-state': '{}',
    }), `http://127.0.0.1:${busy.address().port}/`);
    await page.reload();
    await page.getByTestId('sync-now').click();
    const status = page.getByTestId('sync-status');
    await waitFor(async () => (await status.getAttribute('data-state')) === 'retrying', { what: 'the retrying status' });
    assert.match(await page.getByTestId('sync-state').textContent(), /^Server busy, retrying in 1[12]\d s\.$/);
    assert.equal(requests.length, 1, `one round reached the server: ${requests}`);
    const alarm = await page.evaluate(async () => chrome.alarms.get('stacksmart-sync-retry'));
    assert.ok(alarm && alarm.scheduledTime > Date.now() + 100_000, 'a round is set for when the wait ends');

    // Within the wait: "Sync now" says how long is left, and a local edit goes out later.
    await page.getByTestId('sync-now').click();
    await page.getByTestId('sync-info').filter({ hasText: /retrying in \d+ s/ }).waitFor();
    await page.getByTestId('membership-id').fill('e2e-wait-club');
    await page.getByTestId('membership-add').click();
    await page.getByTestId('membership').filter({ hasText: 'e2e-wait-club' }).waitFor();
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(requests.length, 1, `nothing more was sent: ${requests}`);
    assert.deepEqual(pageErrors, []);
  } finally {
    busy.closeAllConnections();
    await new Promise((resolve) => busy.close(resolve));
  }
});

/** Requests the server has answered on its auth routes (params, login, register, …). */
async function authRequests(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('http_requests_total{') && l.includes('route="/v1/auth/'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

test('sign-in refused by a real rate limit says how long to wait, also after a reload, and sends nothing before then', { timeout: 90_000 }, async () => {
  // A second server on the same database with a tight auth limit (6 a minute per IP: one
  // request every 10 s once the burst is spent).
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const tight = spawn(serverBinary(), ['serve'], {
    env: {
      ...process.env,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/stacksmart`,
      STACKSMART_BIND: `127.0.0.1:${port}`,
      STACKSMART_MIGRATE: 'false',
      STACKSMART_PURGE_INTERVAL_SECS: '0',
      STACKSMART_CLIENT_KDF_M_KIB: '8192',
      STACKSMART_CLIENT_KDF_T: '1',
      STACKSMART_ARGON2_M_KIB: '1024',
      STACKSMART_ARGON2_T: '1',
      STACKSMART_LOG_FORMAT: 'text',
      STACKSMART_RATE_AUTH_PER_IP: '6',
    },
    stdio: 'ignore',
  });
  try {
    await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok === true,
      { timeout: 15_000, what: 'the rate-limited server' });
    const d = await launch('d');
    const page = await openOptions(d);
    // Another client on this address spends the burst.
    let answered = 0;
    while (answered !== 429) {
      answered = (await fetch(`${base}/v1/auth/params`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'someone@example.com' }) })).status;
    }
    const before = await authRequests(base);
    await fillAccount(page, { server: base, email: 'limited@example.com' });
    await page.getByTestId('sync-signin').click();
    const wait = page.getByTestId('sync-wait');
    await wait.waitFor();
    assert.equal(await wait.getAttribute('role'), 'alert');
    const said = await wait.textContent();
    const m = said.match(/^The sync server is busy or limiting requests: try again in (\d+) s\. Nothing was changed\.$/);
    assert.ok(m, said);
    assert.ok(Number(m[1]) >= 7 && Number(m[1]) <= 11, `Retry-After of a 10 s period: ${said}`);
    assert.equal(await authRequests(base), before + 1, 'one request, answered 429');
    // Until then the account actions are off, and even a scripted submit sends nothing.
    for (const id of ['sync-signin', 'sync-signup']) {
      assert.equal(await page.getByTestId(id).isDisabled(), true, `${id} disabled during the wait`);
    }
    await page.getByTestId('sync-form').evaluate((f) => f.requestSubmit());
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await authRequests(base), before + 1, 'nothing sent during the wait');
    assert.equal(await page.getByTestId('sync-error').count(), 0, 'the wait is the message');

    // A reload of the options page keeps the wait (its end is in storage.session): the
    // countdown goes on from where it was, and still nothing can be sent.
    const kept = await page.evaluate(async () => (await chrome.storage.session.get('sync-account-wait-until'))['sync-account-wait-until']);
    assert.ok(kept > Date.now() + 3_000, `the end of the wait is kept: ${kept}`);
    await page.reload();
    await page.getByTestId('ready').waitFor();
    await wait.waitFor();
    const left = Number((await wait.textContent()).match(/in (\d+) s/)?.[1]);
    assert.ok(left >= 1 && left <= Number(m[1]), `the countdown goes on after the reload: ${left} s of ${m[1]}`);
    for (const id of ['sync-signin', 'sync-signup']) {
      assert.equal(await page.getByTestId(id).isDisabled(), true, `${id} disabled after the reload`);
    }
    await fillAccount(page, { server: base, email: 'limited@example.com' });
    await page.getByTestId('sync-form').evaluate((f) => f.requestSubmit());
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await authRequests(base), before + 1, 'nothing sent after the reload either');

    // When the wait is over the message goes and the buttons work again; with the bucket
    // refilled (another 10 s) the sign-in reaches the server, which knows no such account.
    await wait.waitFor({ state: 'detached', timeout: 13_000 });
    assert.equal(await page.getByTestId('sync-signin').isDisabled(), false);
    await new Promise((r) => setTimeout(r, 10_500));
    await page.getByTestId('sync-signin').click();
    assert.match(await syncError(page), /Wrong email or password/);
    assert.equal(await authRequests(base), before + 3, 'params and login, once each');
    assert.deepEqual(pageErrors, []);
  } finally {
    tight.kill();
  }
});
