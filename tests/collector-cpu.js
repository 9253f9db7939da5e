// The collector's main-thread CPU time per collection on saved pages, as the renderer's
// main-thread CPU clock counts it (CDP Performance.getMetrics `ThreadTime`), for one build or
// for several side by side. Page scripts off; each page is loaded in every build's browser,
// left 1 s, then collected in turn (build A, build B, A, B, …; RUNS each), so load from other
// processes falls on all builds alike: compare builds by the per-page ratio, not by figures
// taken at different times. How the collection is asked for is included: scripting.executeScript
// (a message to builds from before 2026-11-22, which had a listener), alike for builds of a kind.
//
// With --cold, each build's collector is patched not to collect when it starts, so the first
// collection asked for runs code the JIT has not seen, as on every page a shopper opens: the
// figure is that one collection's CPU time (RUNS page loads, each in a new tab).
//
// Usage: node tests/collector-cpu.js [--ext DIR]... [--pages DIR] [--runs N] [--cold] [KEY...]
//        (default: the built dist/chrome)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dist } from './e2e/support.js';
import { collectIn, openSavedPages } from './saved-pages.js';
const argv = process.argv.slice(2);
const exts = [];
for (let at = argv.indexOf('--ext'); at !== -1; at = argv.indexOf('--ext')) exts.push(path.resolve(argv.splice(at, 2)[1]));
if (!exts.length) exts.push(dist('chrome'));
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : argv.splice(at, 2)[1];
};
const dir = path.resolve(option('--pages', '../../shared/data/product-pages'));
const runs = Number(option('--runs', '10'));
const cold = argv.includes('--cold');
if (cold) argv.splice(argv.indexOf('--cold'), 1);
const copies = [];
if (cold) {
  for (let i = 0; i < exts.length; i += 1) {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'cold-ext-'));
    fs.cpSync(exts[i], copy, { recursive: true });
    const file = path.join(copy, 'content', 'collector.js');
    const code = fs.readFileSync(file, 'utf8');
    // The first look (at idle, or at once) is taken out; the builds before it called send() directly.
    const starts = [/    if \(typeof requestIdleCallback === 'function'\) \{\n[\s\S]*?\n    \} else \{\n      send\(\);\n    \}\n/, /(onMessage\);\n)    send\(\);\n/];
    const start = starts.find((re) => re.test(code));
    if (!start) throw new Error(`${exts[i]}: collector.js changed; update collector-cpu.js --cold`);
    fs.writeFileSync(file, code.replace(start, (m, keep) => keep ?? ''));
    copies.push(copy);
    exts[i] = copy;
  }
}
const truth = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));
const keys = argv.length ? argv : Object.keys(truth);
const builds = [];
for (const ext of exts) builds.push({ ext, ...(await openSavedPages(ext, dir, keys)), cpu: [] });
const ratios = [];
for (const k of keys) {
  const url = truth[k].url.split('#')[0];
  if (cold) { await coldPage(k, url); continue; }
  const open = [];
  for (const b of builds) {
    const page = await b.context.newPage();
    await page.goto(url, { waitUntil: 'load' }).catch(() => {});
    open.push({ b, page });
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (const o of open) {
    o.tab = await o.b.sw.evaluate(async (u) => (await chrome.tabs.query({})).find((t) => t.url && t.url.split('#')[0] === u)?.id ?? null, url);
    const cdp = await o.b.context.newCDPSession(o.page);
    await cdp.send('Performance.enable');
    o.threadTime = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime').value;
    o.collect = () => collectIn(o.b.sw, o.tab);
    o.seconds = 0;
    if (o.tab !== null) await o.collect(); // the first collection warms nothing else up
  }
  if (open.some((o) => o.tab === null)) { console.log(k.slice(0, 8), 'no tab'); } else {
    for (let i = 0; i < runs; i += 1) {
      for (const o of open) {
        const before = await o.threadTime();
        await o.collect();
        o.seconds += (await o.threadTime()) - before;
      }
    }
    const ms = open.map((o) => (o.seconds * 1000) / runs);
    open.forEach((o, i) => o.b.cpu.push(ms[i]));
    if (ms.length > 1) ratios.push(ms[1] / ms[0]);
    console.log(k.slice(0, 8), 'cpu ms', ms.map((x) => x.toFixed(2)).join(' | '));
  }
  for (const o of open) await o.page.close();
}
// One cold collection per build per page load, RUNS loads, builds in turn.
async function coldPage(k, url) {
  const sums = builds.map(() => 0);
  for (let i = 0; i < runs; i += 1) {
    for (const [j, b] of builds.entries()) {
      const page = await b.context.newPage();
      await page.goto(url, { waitUntil: 'load' }).catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      const tab = await b.sw.evaluate(async (u) => (await chrome.tabs.query({})).find((t) => t.url && t.url.split('#')[0] === u)?.id ?? null, url);
      const cdp = await b.context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const threadTime = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime').value;
      const before = await threadTime();
      await collectIn(b.sw, tab);
      sums[j] += (await threadTime()) - before;
      await page.close();
    }
  }
  const ms = sums.map((x) => (x * 1000) / runs);
  builds.forEach((b, j) => b.cpu.push(ms[j]));
  if (ms.length > 1) ratios.push(ms[1] / ms[0]);
  console.log(k.slice(0, 8), 'cold cpu ms', ms.map((x) => x.toFixed(2)).join(' | '));
}

const q = (xs, x) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(s.length * x) - 1)]; };
for (const b of builds) {
  console.log(`main-thread CPU per ${cold ? 'cold ' : ''}collection over ${b.cpu.length} pages: median ${q(b.cpu, 0.5).toFixed(2)}, p95 ${q(b.cpu, 0.95).toFixed(2)}, max ${q(b.cpu, 1).toFixed(2)} ms (${b.ext})`);
}
if (ratios.length) console.log(`second build / first, per page: median ${q(ratios, 0.5).toFixed(2)}, p5 ${q(ratios, 0.05).toFixed(2)}, p95 ${q(ratios, 0.95).toFixed(2)}`);
for (const b of builds) await b.close();
for (const c of copies) fs.rmSync(c, { recursive: true, force: true });
