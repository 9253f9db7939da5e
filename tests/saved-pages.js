// The harness the collector tools share: the built extension (or `ext`, a copy of it) in
// headless Chromium with site access granted and page scripts off, and saved pages of a folder
// in the product-pages format served at their own addresses; every other request is refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { collectorRegistered, launchWithSiteAccess } from './e2e/support.js';

export async function openSavedPages(ext, dir, keys) {
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'saved-pages-'));
  const context = await launchWithSiteAccess(chromium, profile, { executablePath: '/usr/bin/chromium', headless: true, javaScriptEnabled: false,
    args: [`--disable-extensions-except=${ext}`, `--load-extension=${ext}`, '--no-sandbox', '--disable-gpu'] });
  const sw = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker');
  await collectorRegistered(sw);
  const urls = new Map(keys.map((k) => [truth[k].url.split('#')[0], k]));
  await context.route('**/*', async (route) => {
    const k = urls.get(route.request().url().split('#')[0]);
    if (k && route.request().isNavigationRequest()) {
      const gz = path.join(dir, 'html', `${k}.html.gz`);
      return route.fulfill({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: zlib.gunzipSync(fs.readFileSync(gz)) });
    }
    return route.abort('aborted');
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, sw, truth, close };
}

// A fresh snapshot from the collector in tab `tab`, asked through the build's service worker
// `sw` as the popup asks (builds from before 2026-11-22 answered a message instead).
export const collectIn = (sw, tab) => sw.evaluate(
  (t) => (globalThis.stackSmartCollect ? stackSmartCollect(t) : chrome.tabs.sendMessage(t, { type: 'collect' })), tab);
