// The fixed part of a page's first collection: the built extension's first cost_ms (at document
// idle, in a fresh isolated world, the collector's code not yet compiled) on the small fixture
// pages, which have a few dozen elements. Little of that time reads the page: it is compiling
// and first running the collector. Compare with `make eval-pages`' first-collection figures.
//
// A later collection (asked by message after the first, code and wrappers warm) is measured
// too. article.html and no-product.html are clearly not product pages (JSON-LD for the site
// and the article only, no product meta tags, no price or cart markup): the collector stops
// after the structured data.
//
// cost_ms counts one collection only. The collector also costs the page its injection (compiling
// collector.js and badge.js and running their top level, which first touches the extension
// API) and the work around each collection (sending the snapshot, the badge): a few loads of
// each fixture are traced (devtools.timeline) and those are reported too, from the trace's
// EvaluateScript and FunctionCall events for the two scripts.
//
// Usage: node tests/collector-floor.js [--loads N]   (each fixture loaded N times, default 15)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { collectorRegistered, dist, fixtures, launchWithSiteAccess } from './e2e/support.js';

const argv = process.argv.slice(2);
const at = argv.indexOf('--loads');
const loads = at === -1 ? 15 : Number(argv[at + 1]);
const names = ['article.html', 'no-product.html', 'product.html', 'offers.html'];
const base = 'https://floor.example';
// The built extension, its collector keeping its first collection's cost where this tool can
// read it (pages without product signals send the background nothing).
const ext = fs.mkdtempSync(path.join(os.tmpdir(), 'floor-ext-'));
fs.cpSync(dist('chrome'), ext, { recursive: true });
const collectorPath = path.join(ext, 'content', 'collector.js');
const send = '    const snapshot = collect();\n';
const code = fs.readFileSync(collectorPath, 'utf8');
if (!code.includes(send)) throw new Error('collector.js changed: update collector-floor.js');
fs.writeFileSync(collectorPath, code.replace(send, `${send}    globalThis.__stackSmartFirstCost ??= snapshot.cost_ms;\n`));
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'floor-'));
const context = await launchWithSiteAccess(chromium, profile, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: [`--disable-extensions-except=${ext}`, `--load-extension=${ext}`, '--no-sandbox', '--disable-gpu'],
});
const sw = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker');
await collectorRegistered(sw);
// Each load has its own address (`?load=i`), its tab found by it.
const inTab = (url, what) => sw.evaluate(async ([u, w]) => {
  const tab = (await chrome.tabs.query({})).find((t) => t.url === u);
  if (!tab) return null;
  if (w === 'later') return (await globalThis.stackSmartCollect(tab.id))?.cost_ms ?? null;
  const [run] = await chrome.scripting.executeScript({ target: { tabId: tab.id }, func: () => globalThis.__stackSmartFirstCost ?? null });
  return run.result;
}, [url, what]);
await context.route('**/*', (route) => {
  const url = new URL(route.request().url());
  const name = url.pathname.slice(1);
  if (url.origin === base && names.includes(name) && route.request().isNavigationRequest()) {
    return route.fulfill({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: fs.readFileSync(path.join(fixtures, name)) });
  }
  return route.abort('aborted');
});
const q = (xs, x) => { const s = [...xs].sort((a, b) => a - b); return s[Math.max(0, Math.min(s.length - 1, Math.ceil(s.length * x) - 1))]; };
for (const name of names) {
  const costs = [];
  const later = [];
  let elements = 0;
  for (let i = 0; i < loads; i += 1) {
    const url = `${base}/${name}?load=${i}`;
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    elements = await page.evaluate(() => document.getElementsByTagName('*').length).catch(() => elements);
    for (let t = 0; t < 50; t += 1) {
      const cost = await inTab(url, 'first');
      if (cost !== null) { costs.push(cost); break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    const cost = await inTab(url, 'later');
    if (cost !== null) later.push(cost);
    await page.close();
  }
  console.log(`${name} (${elements} elements) over ${costs.length} loads: first collection median ${q(costs, 0.5)} ms, p90 ${q(costs, 0.9)} ms, min ${q(costs, 0)} ms; a later one median ${q(later, 0.5)} ms, p90 ${q(later, 0.9)} ms`);
  const traced = await traceLoads(name, Math.min(loads, 8));
  console.log(`  traced over ${traced.length} loads, medians: injecting collector.js ${q(traced.map((t) => t.collector), 0.5).toFixed(1)} ms, badge.js ${q(traced.map((t) => t.badge), 0.5).toFixed(1)} ms; collector callbacks in the first 1.5 s (the first collection and its sending) ${q(traced.map((t) => t.calls), 0.5).toFixed(1)} ms`);
}

// Main-thread time of the content scripts in one traced load each: `EvaluateScript` (compile
// and top level) per script, and the collector's `FunctionCall`s (its idle callback, message
// answers) until 1.5 s after load.
async function traceLoads(name, n) {
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const events = [];
    cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
    const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['devtools.timeline'] } });
    await page.goto(`${base}/${name}?traced=${i}`, { waitUntil: 'load' });
    await new Promise((r) => setTimeout(r, 1500));
    await cdp.send('Tracing.end');
    await done;
    const ms = (script, event) => events
      .filter((e) => e.ph === 'X' && e.name === event && JSON.stringify(e.args ?? {}).includes(`/content/${script}`))
      .reduce((sum, e) => sum + e.dur / 1000, 0);
    out.push({ collector: ms('collector.js', 'EvaluateScript'), badge: ms('badge.js', 'EvaluateScript'), calls: ms('collector.js', 'FunctionCall') });
    await page.close();
  }
  return out;
}
await context.close();
fs.rmSync(profile, { recursive: true, force: true });
fs.rmSync(ext, { recursive: true, force: true });
