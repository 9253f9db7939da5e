// Static checks of the built extension: manifests, CSP, permissions, Firefox's linter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { root, dist, requireBuilt } from './support.js';

for (const browser of ['chrome', 'firefox']) {
  test(`${browser} manifest: strict CSP, minimal permissions, no remote code`, () => {
    const m = requireBuilt(browser);
    assert.equal(m.manifest_version, 3);
    assert.equal(m.content_security_policy.extension_pages, "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'");
    assert.deepEqual([...m.permissions].sort(), ['activeTab', 'alarms', 'scripting', 'storage']);
    // Site access is asked for explicitly (welcome page, settings), never granted at install.
    assert.equal(m.host_permissions, undefined);
    // One pattern for every http(s) site: a shop is asked for as `*://shop/*`, which each
    // browser accepts only when a single declared pattern covers it.
    assert.deepEqual(m.optional_host_permissions, ['*://*/*']);
    assert.equal(m.content_scripts, undefined, 'the collector is registered where access is granted');
    assert.ok(!JSON.stringify(m).match(/https?:\/\/(?!\*\/)/), 'no remote addresses in the manifest');
    if (browser === 'chrome') {
      assert.equal(m.background.service_worker, 'background/background.js');
      assert.equal(m.browser_specific_settings, undefined);
    } else {
      assert.deepEqual(m.background.scripts, ['background/background.js']);
      assert.equal(m.background.service_worker, undefined);
    }
  });
}

for (const browser of ['chrome', 'firefox']) {
  test(`${browser}: the packed zip holds exactly dist/${browser}, with icons and English strings`, () => {
    const m = requireBuilt(browser);
    const listed = execFileSync('unzip', ['-Z1', path.join(root, 'dist', `stacksmart-${browser}.zip`)], { encoding: 'utf8' })
      .split('\n').filter((f) => f && !f.endsWith('/')).sort();
    const files = [];
    const walk = (dir, prefix) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`);
        else files.push(`${prefix}${e.name}`);
      }
    };
    walk(dist(browser), '');
    assert.deepEqual(listed, files.sort());
    for (const [size, file] of Object.entries(m.icons)) {
      const png = fs.readFileSync(path.join(dist(browser), file));
      assert.equal(png.subarray(1, 4).toString(), 'PNG', file);
      assert.equal(png.readUInt32BE(16), Number(size), `${file} width`);
      assert.equal(png.readUInt32BE(20), Number(size), `${file} height`);
    }
    const messages = JSON.parse(fs.readFileSync(path.join(dist(browser), '_locales', 'en', 'messages.json'), 'utf8'));
    for (const key of JSON.stringify(m).match(/__MSG_\w+__/g)) {
      assert.ok(messages[key.slice(6, -2)], `${key} is in _locales/en`);
    }
  });
}

// Size is deterministic (unlike time), so the budget is a test: the popup's module
// once doubled unnoticed when a shared helper pulled the public-suffix list into it.
test("the popup's wasm stays within its budget (400 KB gzip)", () => {
  requireBuilt('chrome');
  const wasm = fs.readFileSync(path.join(dist('chrome'), 'ui', 'popup_bg.wasm'));
  const gzip = zlib.gzipSync(wasm, { level: 9 }).length;
  assert.ok(gzip <= 400_000, `popup_bg.wasm is ${gzip} bytes gzipped`);
});

test('web-ext lint reports zero errors for dist/firefox', () => {
  requireBuilt('firefox');
  const bin = path.join(root, 'tests', 'node_modules', '.bin', 'web-ext');
  let out;
  try {
    out = execFileSync(bin, ['lint', '--source-dir', dist('firefox'), '--output', 'json', '--no-config-discovery'],
      { encoding: 'utf8', env: { ...process.env, WEB_EXT_TELEMETRY: 'false' } });
  } catch (error) {
    out = error.stdout; // web-ext exits non-zero on errors; the JSON says which
  }
  const report = JSON.parse(out);
  assert.deepEqual(report.errors.map((e) => `${e.code}: ${e.message}`), []);
});

test('every page string the wasm asks the browser for is in _locales/en, worded as its English fallback', () => {
  const messages = JSON.parse(fs.readFileSync(path.join(root, 'manifest', '_locales', 'en', 'messages.json'), 'utf8'));
  const sources = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith('.rs')) sources.push(path.join(dir, e.name));
    }
  };
  walk(path.join(root, 'extension-ui', 'src'));
  // `t("key", "English")` and `tr("key", "English $1", &[…])`; a message escapes `$` as `$$`
  // except in the `$1`…`$9` substitutions.
  const call = /\btr?\(\s*"([A-Za-z0-9_]+)",\s*"((?:[^"\\]|\\.)*)"/g;
  // Any call of `t(` or `tr(` (not their definitions): one without a literal key and English
  // would escape the checks below.
  const anyCall = /(?<!fn )\btr?\(/g;
  const unescape = (s) => s.replace(/\\(["\\])/g, '$1');
  let seen = 0;
  const filesWithStrings = new Set();
  for (const file of sources) {
    const text = fs.readFileSync(file, 'utf8');
    const calls = [...text.matchAll(call)].length;
    assert.equal(calls, [...text.matchAll(anyCall)].length,
      `${path.relative(root, file)}: every t(…)/tr(…) call names its key and English as string literals`);
    if (calls > 0) filesWithStrings.add(path.relative(path.join(root, 'extension-ui', 'src'), file));
    for (const [, key, english] of text.matchAll(call)) {
      if (key === 'k') continue; // the i18n module's own unit test
      seen += 1;
      assert.ok(messages[key], `${path.relative(root, file)}: "${key}" is not in _locales/en/messages.json`);
      const message = messages[key].message.replace(/\$\$/g, '$');
      assert.equal(message, unescape(english), `${key}: _locales/en and the code's English differ`);
      assert.ok(messages[key].description, `${key} has a description for translators`);
      // Chrome reads `$1$` as a named placeholder and then refuses the whole extension.
      assert.doesNotMatch(messages[key].message, /\$\d\$/, `${key}: a substitution right before a $`);
    }
  }
  assert.ok(seen > 300, `found ${seen} page strings`);
  // Every page whose words people read goes through _locales.
  for (const page of ['popup.rs', 'receipt.rs', 'onboarding.rs', 'options.rs', 'edit.rs',
    ...['cards', 'lists', 'settings', 'trust', 'transfer', 'sync'].map((f) => `options/${f}.rs`)]) {
    assert.ok(filesWithStrings.has(page), `${page} takes its words from _locales`);
  }
});

test("the collector's phrase patterns are built from its phrase lists", async () => {
  const { containsAny, phraseList, collectorPath } = await import('../../scripts/collector-patterns.mjs');
  const js = fs.readFileSync(collectorPath, 'utf8');
  for (const [pattern, list] of [['STOCK_G', 'STOCK_PHRASES'], ['OFFER_G', 'OFFER_PHRASES']]) {
    const literal = js.match(new RegExp(`const ${pattern} = (/.*/gi);`));
    assert.ok(literal, `${pattern} in collector.js`);
    assert.equal(literal[1], containsAny(phraseList(js, list)), `${pattern}: run node scripts/collector-patterns.mjs`);
    // The merged pattern finds a text exactly when the plain list would.
    const re = eval(literal[1]); // eslint-disable-line no-eval
    const phrases = phraseList(js, list);
    for (const p of phrases) {
      re.lastIndex = 0;
      assert.ok(re.test(`Now ${p.toUpperCase()}!`), `${pattern} finds ${p}`);
    }
    for (const miss of ['add to wishlist', 'price: 12.99', 'sol d', 'coupé']) {
      re.lastIndex = 0;
      assert.equal(re.test(miss), phrases.some((p) => miss.includes(p)), `${pattern} on ${miss}`);
    }
  }
});
