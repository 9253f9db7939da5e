// `make eval-pages PAGES=DIR OUT=FILE`: the built extension in headless Chromium over a
// labelled page set (DIR/ground-truth.json + DIR/html/KEY.html[.gz]). Each page is served at
// its original https address from the saved file; every other request is refused and
// counted, and navigations away from the page are stopped. Runs twice — page scripts on, then
// off — and for each run writes the predictions (FILE, and FILE with `.noscript` before the
// extension) and prints the per-field report, the collector's main-thread cost and the
// requests and errors seen.
//
// Usage: node tests/eval-pages.js DIR OUT   (STACKSMART_BIN = the stacksmart binary)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { dist, requireBuilt, collectorRegistered, launchWithSiteAccess } from './e2e/support.js';

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  console.error('usage: node tests/eval-pages.js DIR OUT');
  process.exit(2);
}
const BIN = process.env.STACKSMART_BIN ?? 'stacksmart';
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const RESULT_TIMEOUT_MS = 8000;
// The collector re-detects late-rendered prices after a 600 ms debounce: give it one round.
const SETTLE_MS = 1200;
// How long after load a page that sent nothing is asked whether it shows any product signal.
const QUIET_MS = 2000;

const truth = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));

function pageBytes(key) {
  const gz = path.join(dir, 'html', `${key}.html.gz`);
  if (fs.existsSync(gz)) return zlib.gunzipSync(fs.readFileSync(gz));
  return fs.readFileSync(path.join(dir, 'html', `${key}.html`));
}

// The charset the page declares in its first bytes (`<meta charset>` or http-equiv), so it
// is served as the shop served it; UTF-8 where it declares none.
function declaredCharset(bytes) {
  const head = bytes.subarray(0, 4096).toString('latin1').replace(/<!--[\s\S]*?-->/g, '');
  const m = head.match(/<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i);
  return m ? m[1].toLowerCase() : 'utf-8';
}

const stripFragment = (u) => u.split('#')[0];
const quantile = (xs, q) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function run(scripts) {
  requireBuilt('chrome');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'stacksmart-eval-'));
  const ext = dist('chrome');
  const context = await launchWithSiteAccess(chromium, profile, {
    executablePath: CHROMIUM,
    headless: true,
    javaScriptEnabled: scripts,
    args: [
      `--disable-extensions-except=${ext}`, `--load-extension=${ext}`, '--no-sandbox', '--disable-gpu',
      '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--disable-sync', '--disable-quic',
    ],
  });
  const sw = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker');
  await collectorRegistered(sw);
  // The cost of each page's first collection (at document idle, the collector's code not yet
  // warmed up by the JIT: what every page a shopper opens pays), read off the snapshot as the
  // background receives it; a second listener beside the background's, answering nothing.
  await sw.evaluate(() => {
    globalThis.__firstCosts = {};
    chrome.runtime.onMessage.addListener((m) => {
      const u = m?.type === 'page_snapshot' ? m.snapshot.url.split('#')[0] : null;
      if (u && !(u in globalThis.__firstCosts)) globalThis.__firstCosts[u] = m.snapshot.cost_ms;
    });
  });
  const served = new Map(Object.entries(truth).map(([key, t]) => [stripFragment(t.url), key]));
  const refused = {};
  let stoppedNavigations = 0;
  await context.route('**/*', async (route) => {
    const request = route.request();
    const key = served.get(stripFragment(request.url()));
    if (key && request.isNavigationRequest()) {
      const bytes = pageBytes(key);
      await route.fulfill({ status: 200, headers: { 'content-type': `text/html; charset=${declaredCharset(bytes)}` }, body: bytes });
      return;
    }
    if (request.isNavigationRequest() && request.frame() === request.frame().page()?.mainFrame()) {
      stoppedNavigations += 1;
    } else {
      refused[request.resourceType()] = (refused[request.resourceType()] ?? 0) + 1;
    }
    // `aborted` leaves the current document in place instead of committing an error page.
    await route.abort('aborted');
  });

  const products = {};
  const costs = [];
  const firstCosts = [];
  const problems = [];
  let withoutSignalsCount = 0;
  // The collector's snapshot of the page at `url` when it shows no product signals, else null.
  const withoutSignals = (url) => sw.evaluate(async (u) => {
    const tab = (await chrome.tabs.query({})).find((t) => (t.url ?? '').split('#')[0] === u);
    const s = tab ? await globalThis.stackSmartCollect(tab.id).catch(() => null) : null;
    return s && !s.signals ? s : null;
  }, url);
  let pageErrors = 0;
  let extensionErrors = 0;
  for (const [key, t] of Object.entries(truth)) {
    const page = await context.newPage();
    page.on('pageerror', (e) => {
      pageErrors += 1;
      if (String(e.stack ?? '').includes('chrome-extension://')) extensionErrors += 1;
    });
    const url = stripFragment(t.url);
    try {
      await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
    } catch (e) {
      problems.push(`${key}: load: ${e.message.split('\n')[0]}`);
    }
    const storedFor = () => sw.evaluate(async (u) => {
      const all = await chrome.storage.session.get(null);
      const hit = Object.entries(all).find(([, v]) => v.url.split('#')[0] === u);
      return hit ? { tab: Number(hit[0].slice(4)) } : null;
    }, url);
    let stored = null;
    let quiet = null;
    const deadline = Date.now() + RESULT_TIMEOUT_MS;
    let askAt = Date.now() + QUIET_MS;
    while (!stored && !quiet && Date.now() < deadline) {
      stored = await storedFor();
      if (!stored && Date.now() >= askAt) {
        // A page without product signals sends nothing: its collector is asked, as the popup
        // asks, and one that still sees none SETTLE_MS later (a shop that draws its product
        // late sends it meanwhile) stands for a page without a product.
        askAt = Date.now() + SETTLE_MS;
        if (await withoutSignals(url)) {
          await new Promise((r) => setTimeout(r, SETTLE_MS));
          stored = await storedFor();
          quiet = stored ? null : await withoutSignals(url);
        }
      }
      if (!stored && !quiet) await new Promise((r) => setTimeout(r, 100));
    }
    if (quiet) {
      products[key] = null;
      costs.push(quiet.cost_ms);
      withoutSignalsCount += 1;
    } else if (!stored) {
      problems.push(`${key}: no snapshot reached the background`);
      products[key] = null;
    } else {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const result = await sw.evaluate(async (tab) => {
        const v = (await chrome.storage.session.get(`tab:${tab}`))[`tab:${tab}`];
        let snapshot = null;
        try { snapshot = await globalThis.stackSmartCollect(tab); } catch (_) { /* page gone */ }
        return { product: v?.detection?.product ?? null, cost: snapshot?.cost_ms ?? null };
      }, stored.tab);
      products[key] = result.product;
      if (result.cost !== null) costs.push(result.cost);
      const first = await sw.evaluate((u) => globalThis.__firstCosts?.[u] ?? null, url);
      if (first !== null) firstCosts.push(first);
    }
    await page.close();
  }
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  return { products, costs, firstCosts, problems, refused, stoppedNavigations, pageErrors, extensionErrors, withoutSignalsCount };
}

const outputs = [];
for (const scripts of [true, false]) {
  const label = scripts ? 'page scripts on' : 'page scripts off';
  const r = await run(scripts);
  const file = scripts ? out : out.replace(/(\.json)?$/, '.noscript.json');
  const productsFile = `${file}.products.json`;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(productsFile, JSON.stringify(r.products, null, 1));
  fs.writeFileSync(file, execFileSync(BIN, ['to-predictions', productsFile], { encoding: 'utf8' }));
  const report = execFileSync(BIN, ['eval', dir, file], { encoding: 'utf8' });
  const scriptRequests = ['fetch', 'xhr', 'websocket', 'eventsource', 'ping']
    .reduce((n, t) => n + (r.refused[t] ?? 0), 0);
  outputs.push([
    `== ${label}: ${file}`,
    report.trimEnd(),
    `collector main-thread cost (cost_ms: one full collection, asked for ${SETTLE_MS} ms after the snapshot reached the background) over ${r.costs.length} pages: median ${quantile(r.costs, 0.5)} ms, p95 ${quantile(r.costs, 0.95)} ms, max ${quantile(r.costs, 1)} ms`,
    `pages without product signals (never sent; read by asking, as the popup does, and counted as without a product): ${r.withoutSignalsCount}`,
    `collector main-thread cost of the first collection (at document idle, code cold; pages that sent a snapshot) over ${r.firstCosts.length} pages: median ${quantile(r.firstCosts, 0.5)} ms, p95 ${quantile(r.firstCosts, 0.95)} ms, max ${quantile(r.firstCosts, 1)} ms`,
    `requests refused (none reached the network): ${JSON.stringify(r.refused)}; navigations away stopped: ${r.stoppedNavigations}`,
    scripts
      ? `page errors: ${r.pageErrors} (from the pages' own scripts), from the extension: ${r.extensionErrors}`
      : `script-initiated requests with page scripts off (the collector's would be here): ${scriptRequests}; page errors: ${r.pageErrors}`,
    ...r.problems.map((p) => `problem: ${p}`),
  ].join('\n'));
}
console.log(outputs.join('\n\n'));
