// The collector's phrase scans as regular-expression literals, built from its phrase lists
// (STOCK_PHRASES, OFFER_PHRASES in content-scripts/collector.js). Building them in the page
// cost a millisecond on every page load, so collector.js carries the literals; a lint test
// (tests/e2e/lint.test.js) checks they are what this prints.
//
// Usage: node scripts/collector-patterns.mjs   (prints the two literals to paste)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// A case-insensitive global pattern that finds texts holding any of `phrases`. Only whether a
// text holds one matters, so a phrase holding another is dropped, and the rest share their
// prefixes (`add to (?:cart|ba(?:sket|g)|…)`): a plain alternation of eighty phrases tries
// each one at nearly every letter of the page.
export function containsAny(phrases) {
  const words = [...new Set(phrases.map((w) => w.toLowerCase()))];
  const root = new Map();
  for (const w of words.filter((w) => !words.some((v) => v !== w && w.includes(v)))) {
    let node = root;
    for (const ch of w) {
      if (!node.has(ch)) node.set(ch, new Map());
      node = node.get(ch);
    }
  }
  const source = (node) => {
    const alts = [...node].map(([ch, next]) => ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') + source(next));
    return alts.length <= 1 ? (alts[0] || '') : `(?:${alts.join('|')})`;
  };
  return `/${source(root)}/gi`;
}

// A phrase list of collector.js (`const NAME = ['…', …];`).
export function phraseList(js, name) {
  const start = js.indexOf(`const ${name} = [`);
  if (start === -1) throw new Error(`no ${name} in collector.js`);
  const end = js.indexOf('];', start);
  return [...js.slice(start, end).matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]);
}

export const collectorPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'content-scripts', 'collector.js');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const js = fs.readFileSync(collectorPath, 'utf8');
  console.log(`  const STOCK_G = ${containsAny(phraseList(js, 'STOCK_PHRASES'))};`);
  console.log(`  const OFFER_G = ${containsAny(phraseList(js, 'OFFER_PHRASES'))};`);
}
