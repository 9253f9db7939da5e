// Where one collection's main-thread time goes, by phase (meta tags, items, text walk, facts,
// buttons), on saved pages with page scripts off: each page is loaded, left 1.5 s, then
// collected once more. The phases come from a copy of the built collector with timing marks
// added (written to a temporary folder; dist/ is not touched).
//
// With --first, the phases of the page's first collection (at document idle, code not yet
// warmed up by the JIT, as on every page a shopper opens) instead of a later one.
//
// Usage: node tests/collector-phases.js [--pages DIR] [--first] [KEY...]   (default: every page of DIR)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dist } from './e2e/support.js';
import { collectIn, openSavedPages } from './saved-pages.js';
const argv = process.argv.slice(2);
const first = argv.includes('--first');
if (first) argv.splice(argv.indexOf('--first'), 1);
const at = argv.indexOf('--pages');
const dir = at === -1 ? path.resolve('../../shared/data/product-pages') : argv.splice(at, 2)[1];
const truth = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));
const keys = argv.length ? argv : Object.keys(truth);
// The built extension, its collector with a mark after each phase of read().
const ext = fs.mkdtempSync(path.join(os.tmpdir(), 'phases-ext-'));
fs.cpSync(dist('chrome'), ext, { recursive: true });
const collectorPath = path.join(ext, 'content', 'collector.js');
let code = fs.readFileSync(collectorPath, 'utf8');
const patch = (from, to) => {
  if (!code.includes(from)) throw new Error(`collector.js changed: no ${JSON.stringify(from)}; update collector-phases.js`);
  code = code.replace(from, to);
};
patch('  function read() {\n', "  let P = []; const mark = (n) => P.push([n, performance.now()]);\n  function read() {\n    P = [['start', performance.now()]];\n");
for (const [call, name] of [['collectMeta(snap);', 'meta'], ['collectItems(snap);', 'items'], ['snap.signals = hasSignals(snap);', 'signals'],
  ['snap.heading = heading ? clipValue(textOf(heading)) : null;', 'heading'], ['const { region, inline } = collectTexts(snap, heading);', 'text walk'],
  ['collectFacts(snap, heading);', 'facts'], ['appendInlineFacts(snap, inline);', 'inline facts'], ['if (region) collectButtons(snap, region);', 'buttons'], ['if (!structuredTrail(snap)) collectBreadcrumbs(snap);', 'breadcrumbs']]) {
  patch(call, `${call} mark('${name}');`);
}
patch("mark('breadcrumbs');\n    return snap;", "mark('breadcrumbs');\n    snap.phases = P;\n    return snap;");
patch('    if (!snap.signals) return snap;', '    if (!snap.signals) { snap.phases = P; return snap; }');
if (first) {
  // The first collection's phases and cost are kept and answered in place of later ones.
  patch("    snap.cost_ms = Math.round((performance.now() - started) * 1000) / 1000;\n",
    "    snap.cost_ms = Math.round((performance.now() - started) * 1000) / 1000;\n    if (!globalThis.__firstCollection) globalThis.__firstCollection = { phases: snap.phases, cost_ms: snap.cost_ms };\n");
  patch('    try { sendResponse(collect()); }', '    try { sendResponse({ ...collect(), ...globalThis.__firstCollection }); }');
}
fs.writeFileSync(collectorPath, code);
const { context, sw, close } = await openSavedPages(ext, dir, keys);
const sums = new Map();
const totals = [];
for (const k of keys) {
  const page = await context.newPage();
  await page.goto(truth[k].url.split('#')[0], { waitUntil: 'load' }).catch(() => {});
  await new Promise((r) => setTimeout(r, 1500));
  // The background refuses these snapshots (unknown field `phases`): find the tab by address.
  const tab = await sw.evaluate(async (u) => { const tabs = await chrome.tabs.query({}); const hit = tabs.find((t) => t.url && t.url.split('#')[0] === u); return hit ? hit.id : null; }, truth[k].url.split('#')[0]);
  if (tab === null) { console.log(k, 'no tab'); await page.close(); continue; }
  const snap = await collectIn(sw, tab);
  const P = snap.phases;
  const parts = [];
  for (let i = 1; i < P.length; i += 1) { const d = P[i][1] - P[i - 1][1]; parts.push(`${P[i][0]} ${d.toFixed(1)}`); sums.set(P[i][0], (sums.get(P[i][0]) ?? 0) + d); }
  totals.push(snap.cost_ms);
  console.log(k.slice(0, 8), 'cost', snap.cost_ms, '|', parts.join(', '), '| prices', snap.prices.length, 'facts', snap.facts.length, 'stock', snap.stock.length);
  await page.close();
}
totals.sort((a, b) => a - b);
console.log(`cost_ms over ${totals.length} pages: median ${totals[Math.floor(totals.length / 2)]}, p95 ${totals[Math.min(totals.length - 1, Math.ceil(totals.length * 0.95) - 1)]}`);
console.log('ms by phase, summed over the pages:', [...sums].map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', '));
await close();
fs.rmSync(ext, { recursive: true, force: true });
