// CPU profile of the collector on saved pages: where its main-thread time goes, by function
// (self time, summed over the pages, per collection). Page scripts off; each page is loaded,
// left 1.5 s, then collected 10 times under the V8 sampling profiler (50 µs).
//
// Usage: node tests/collector-profile.js [--pages DIR] KEY...   (KEY: a page of DIR/ground-truth.json)
//        EXT=dist/chrome-variant node tests/collector-profile.js …   (profile another build)
import fs from 'node:fs';
import path from 'node:path';
import { dist } from './e2e/support.js';
import { collectIn, openSavedPages } from './saved-pages.js';
const argv = process.argv.slice(2);
const at = argv.indexOf('--pages');
const dir = at === -1 ? path.resolve('../../shared/data/product-pages') : argv.splice(at, 2)[1];
const keys = argv;
if (!keys.length) { console.error('usage: node tests/collector-profile.js [--pages DIR] KEY...'); process.exit(2); }
const truth = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));
const ext = process.env.EXT ?? dist('chrome');
const { context, sw, close } = await openSavedPages(ext, dir, keys);
const self = new Map();
for (const k of keys) {
  const page = await context.newPage();
  await page.goto(truth[k].url.split('#')[0], { waitUntil: 'load' });
  await new Promise((r) => setTimeout(r, 1500));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  const tab = await sw.evaluate(async (u) => { const all = await chrome.storage.session.get(null); const hit = Object.entries(all).find(([, v]) => v.url && v.url.split('#')[0] === u); return hit ? Number(hit[0].slice(4)) : null; }, truth[k].url.split('#')[0]);
  if (tab === null) { console.log(k, 'no tab'); continue; }
  await cdp.send('Profiler.start');
  let cost = 0;
  for (let i = 0; i < 10; i += 1) cost += (await collectIn(sw, tab))?.cost_ms ?? -1;
  const { profile: p } = await cdp.send('Profiler.stop');
  const dt = (p.endTime - p.startTime) / p.samples.length;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const s of p.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  for (const [id, c] of counts) {
    const n = byId.get(id);
    const name = `${n.callFrame.functionName || '(anon)'}:${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + c * dt / 1000 / 10);
  }
  console.log(k.slice(0, 12), 'cost_ms mean of 10:', (cost / 10).toFixed(1), 'ms');
  await page.close();
}
const top = [...self].filter(([n]) => !n.startsWith('(idle)') && !n.startsWith('(program)')).sort((a, b) => b[1] - a[1]).slice(0, 30);
for (const [n, ms] of top) console.log(ms.toFixed(2).padStart(8), 'ms/collect', n);
await close();
