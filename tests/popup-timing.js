// `make bench-popup`: how long the popup takes to paint its product, in headless Chromium
// with the built extension. Opens the popup page for a product tab 20 times and reports the
// distribution of "navigation start → product title painted" (the toolbar click itself adds
// the browser's popup-window time, which no extension controls).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { dist, requireBuilt, serveFixtures, waitFor, collectorRegistered, launchWithSiteAccess } from './e2e/support.js';

const RUNS = 20;
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
requireBuilt('chrome');
const server = await serveFixtures();
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'stacksmart-popup-'));
const ext = dist('chrome');
const context = await launchWithSiteAccess(chromium, profile, {
  executablePath: CHROMIUM,
  headless: true,
  locale: 'en-US',
  args: [`--disable-extensions-except=${ext}`, `--load-extension=${ext}`, '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const sw = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker');
  await collectorRegistered(sw);
  const id = new URL(sw.url()).host;
  const page = await context.newPage();
  const url = `${server.base}/offers.html`;
  await page.goto(url);
  const tab = await waitFor(() => sw.evaluate(async (u) => {
    const hit = Object.entries(await chrome.storage.session.get(null)).find(([, v]) => v.url === u);
    return hit ? Number(hit[0].slice(4)) : null;
  }, url), { what: 'the product page detected' });
  const times = [];
  for (let i = 0; i < RUNS; i += 1) {
    const popup = await context.newPage();
    await popup.setViewportSize({ width: 400, height: 600 });
    await popup.goto(`chrome-extension://${id}/popup.html?tab=${tab}`, { waitUntil: 'commit' });
    const painted = await popup.waitForFunction(() => {
      const el = document.querySelector('[data-testid="product-title"]');
      return el && el.getBoundingClientRect().height > 0 ? performance.now() : null;
    }, null, { polling: 'raf' });
    times.push(await painted.jsonValue());
    await popup.close();
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(`popup, navigation start → product painted, ${RUNS} runs: median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${at(0)} ms, max ${at(1)} ms`);
} finally {
  await context.close();
  await server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
