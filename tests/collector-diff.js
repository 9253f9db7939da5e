// Whether two builds' collectors read the saved pages alike: each page is loaded in each
// build's browser (page scripts off), collected once, and the snapshots (cost_ms aside) are
// compared field by field. For changes meant to make the collector cheaper, not different.
//
// Usage: node tests/collector-diff.js A B [--pages DIR]   (A, B: unpacked builds, such as dist/chrome)
import fs from 'node:fs';
import path from 'node:path';
import { openSavedPages } from './saved-pages.js';

const argv = process.argv.slice(2);
const at = argv.indexOf('--pages');
const dir = path.resolve(at === -1 ? '../../shared/data/product-pages' : argv.splice(at, 2)[1]);
if (argv.length !== 2) { console.error('usage: node tests/collector-diff.js A B [--pages DIR]'); process.exit(2); }
const truth = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));
const keys = Object.keys(truth);
// Object keys sorted: scripting.executeScript hands results back with their keys sorted, a
// message in the order they were written.
const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));
const snaps = [];
for (const ext of argv.map((a) => path.resolve(a))) {
  const { context, sw, close } = await openSavedPages(ext, dir, keys);
  const out = {};
  for (const k of keys) {
    const page = await context.newPage();
    const u = truth[k].url.split('#')[0];
    try { await page.goto(u, { waitUntil: 'load', timeout: 20000 }); } catch { out[k] = 'load timed out'; await page.close(); continue; }
    await new Promise((r) => setTimeout(r, 300));
    const s = await sw.evaluate(async (url) => {
      const tab = (await chrome.tabs.query({})).find((t) => (t.url ?? '').split('#')[0] === url);
      if (!tab) return null;
      // Builds from before 2026-11-22 answered a message instead.
      return globalThis.stackSmartCollect ? stackSmartCollect(tab.id) : chrome.tabs.sendMessage(tab.id, { type: 'collect' });
    }, u);
    if (s) delete s.cost_ms;
    out[k] = canonical(s);
    await page.close();
  }
  snaps.push(out);
  await close();
}
let same = 0;
for (const k of keys) {
  if (snaps[0][k] === snaps[1][k]) { same += 1; continue; }
  const parse = (t) => { try { return JSON.parse(t) ?? {}; } catch { return { error: t }; } };
  const [x, y] = [parse(snaps[0][k]), parse(snaps[1][k])];
  const fields = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((f) => JSON.stringify(x[f]) !== JSON.stringify(y[f]));
  console.log(`${k.slice(0, 8)} differs in ${fields.join(', ')}`);
  for (const f of fields) console.log(`  A ${JSON.stringify(x[f])?.slice(0, 300)}\n  B ${JSON.stringify(y[f])?.slice(0, 300)}`);
}
const empty = keys.filter((k) => snaps[1][k] === 'null').length;
console.log(`${same}/${keys.length} snapshots identical (${empty} pages gave no snapshot in B)`);
process.exit(same === keys.length ? 0 : 1);
