// Static checks of the built extension: manifests, CSP, permissions, Firefox's linter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { root, dist, requireBuilt } from './support.js';

for (const browser of ['chrome', 'firefox']) {
  test(`${browser} manifest: strict CSP, minimal permissions, no remote code`, () => {
    const m = requireBuilt(browser);
    assert.equal(m.manifest_version, 3);
    assert.equal(m.content_security_policy.extension_pages, "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'");
    assert.deepEqual([...m.permissions].sort(), ['scripting', 'storage']);
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
