// Shared pieces of the end-to-end tests: paths, the fixture server, artifacts.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dist = (browser) => path.join(root, 'dist', browser);
export const artifacts = path.join(root, 'artifacts', 'e2e');
export const fixtures = path.join(root, 'tests', 'fixtures');

const TYPES = { '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml', '.css': 'text/css' };

/** Serves tests/fixtures on 127.0.0.1 at a free port. Returns { base, close }. */
export async function serveFixtures() {
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname) || 'index.html';
    const file = path.join(fixtures, name);
    if (!fs.existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

export function artifactPath(name) {
  fs.mkdirSync(artifacts, { recursive: true });
  return path.join(artifacts, name);
}

export function requireBuilt(browser) {
  const manifest = path.join(dist(browser), 'manifest.json');
  if (!fs.existsSync(manifest)) throw new Error(`${manifest} is missing: run 'make build' first`);
  return JSON.parse(fs.readFileSync(manifest, 'utf8'));
}

/** Polls `probe` until it returns a truthy value or the time runs out. */
export async function waitFor(probe, { timeout = 10_000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/** Waits until the background has registered the collector (it does so on install). */
export async function collectorRegistered(sw) {
  await waitFor(() => sw.evaluate(async () => (await chrome.scripting.getRegisteredContentScripts()).length === 1),
    { what: 'the collector registered' });
}

export const PRODUCT = { title: 'StackSmart Test Kettle 1.7 L', price: '$1,234.56' };

/**
 * Writes host-permission grants for extension `id` into a Chromium profile's Preferences, as
 * the browser stores them once the user clicked "Allow" on the extension's permission prompt
 * (which headless Chromium cannot answer: see restartWithSiteAccess in chromium.test.js).
 * The browser must be closed; the grant holds from its next start.
 */
export function grantInProfile(profileDir, id, origins) {
  const file = path.join(profileDir, 'Default', 'Preferences');
  const prefs = JSON.parse(fs.readFileSync(file, 'utf8'));
  const ours = prefs.extensions.settings[id];
  for (const key of ['granted_permissions', 'active_permissions']) {
    ours[key] = { ...ours[key], explicit_host: origins };
  }
  fs.writeFileSync(file, JSON.stringify(prefs));
}

/**
 * Starts Chromium (playwright's `chromium`) on `profileDir` with the extension of `options`
 * allowed on every site: a first start installs it, the grant goes into the profile
 * (grantInProfile), and the second start is returned. For the benchmarks and page
 * evaluations, which need the collector everywhere; the e2e tests grant it step by step.
 */
export async function launchWithSiteAccess(chromium, profileDir, options) {
  const first = await chromium.launchPersistentContext(profileDir, options);
  const sw = first.serviceWorkers()[0] ?? await first.waitForEvent('serviceworker');
  const id = new URL(sw.url()).host;
  await first.close();
  grantInProfile(profileDir, id, ['http://*/*', 'https://*/*']);
  return chromium.launchPersistentContext(profileDir, options);
}

/**
 * The wallet's internal ids (entries' `id`s and the catalogue ids cards point at): the pages
 * name things as the shopper knows them, so none of these may show in their text.
 */
export function internalIds(wallet) {
  const ids = new Set();
  for (const list of ['cards', 'gift_cards', 'card_offers', 'loyalty', 'portals', 'gift_card_sources']) {
    for (const entry of wallet[list] ?? []) {
      if (entry.id) ids.add(entry.id);
      if (entry.catalogue) ids.add(entry.catalogue);
    }
  }
  return [...ids];
}

/** Fails when `text` (a page's whole text, folded parts included) shows an internal id. */
export function assertNoIdsIn(text, wallet, assert) {
  const shown = internalIds(wallet).filter((id) => text.includes(id));
  assert.deepEqual(shown, [], `internal ids in the page's text: ${shown.join(', ')}`);
}
