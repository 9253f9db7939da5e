// The built extension in real headless Firefox ESR (selenium-webdriver + geckodriver).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Builder, By, Key, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { root, serveFixtures, artifactPath, requireBuilt, waitFor, assertNoIdsIn, PRODUCT } from './support.js';

const FIREFOX = process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr';
const UUID = '5f1c2a57-3d1e-4b6e-9a0c-7e4d2b1f0a11';
const GECKO_ID = 'stacksmart@stacksmart.dev';
let server;
let driver;
let base;
let gecko;
// Where Firefox saves the options page's export.
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'stacksmart-firefox-downloads-'));

function geckodriverPath() {
  if (process.env.GECKODRIVER) return process.env.GECKODRIVER;
  return execFileSync('sh', ['-c', 'command -v geckodriver'], { encoding: 'utf8' }).trim();
}

/** Reads the background's per-tab results from an extension page. */
async function storedResults() {
  return driver.executeAsyncScript(function (done) {
    chrome.storage.session.get(null).then((all) => done(JSON.stringify(all)), (e) => done(`error: ${e}`));
  }).then((text) => (text.startsWith('error') ? assert.fail(text) : JSON.parse(text)));
}

async function tabIdFor(url, { sent = true } = {}) {
  await driver.get(`${base}/popup.html`);
  if (!sent) {
    // A page without product signals is not sent: its tab, once its collector runs.
    return waitFor(async () => JSON.parse(await driver.executeAsyncScript(function (u, done) {
      chrome.tabs.query({}).then(async (tabs) => {
        const tab = tabs.find((t) => t.url === u);
        if (!tab) return done('null');
        const [run] = await chrome.scripting.executeScript({ target: { tabId: tab.id }, func: () => Boolean(globalThis.__stackSmartCollector) });
        done(run.result ? String(tab.id) : 'null');
      }).catch(() => done('null'));
    }, url)), { what: `the collector in ${url}` });
  }
  return waitFor(async () => {
    const hit = Object.entries(await storedResults()).find(([, v]) => v.url === url);
    return hit ? Number(hit[0].slice('tab:'.length)) : null;
  }, { what: `the background's result for ${url}` });
}

/** Fails when the page's text (folded parts too) shows one of `wallet`'s internal ids. */
async function assertNoInternalIds(wallet) {
  assertNoIdsIn(await driver.executeScript('return document.body.textContent'), wallet, assert);
}

/**
 * Clicks the extension's toolbar button on the window's selected tab, as the shopper does,
 * through Firefox's own handler for that click (WebDriver cannot reach the toolbar): the
 * extension gets that tab (activeTab). Returns nothing; the tab's id is then visible to the
 * extension with its address.
 */
async function clickToolbarButton() {
  await driver.setContext(firefox.Context.CHROME);
  try {
    await driver.executeScript(`
      const { ExtensionParent } = ChromeUtils.importESModule('resource://gre/modules/ExtensionParent.sys.mjs');
      const extension = ExtensionParent.GlobalManager.getExtension(arguments[0]);
      const win = Services.wm.getMostRecentWindow('navigator:browser');
      ExtensionParent.apiManager.global.browserActionFor(extension).triggerAction(win);`, GECKO_ID);
  } finally {
    await driver.setContext(firefox.Context.CONTENT);
  }
}

async function screenshot(name) {
  fs.writeFileSync(artifactPath(name), Buffer.from(await driver.takeScreenshot(), 'base64'));
}

before(async () => {
  const manifest = requireBuilt('firefox');
  server = await serveFixtures();
  const options = new firefox.Options()
    .setBinary(FIREFOX)
    .addArguments('-headless')
    .windowSize({ width: 420, height: 400 })
    .setPreference('extensions.webextensions.uuids', JSON.stringify({ [manifest.browser_specific_settings.gecko.id]: UUID }))
    // Grants an optional-permission request without drawing Firefox's prompt (the request
    // still comes from a real click on the welcome page or the settings): the site-access
    // flow is tested for real here, up to that dialog.
    .setPreference('extensions.webextOptionalPermissionPrompts', false)
    .setPreference('intl.locale.requested', 'en-US')
    .setPreference('datareporting.policy.dataSubmissionEnabled', false)
    .setPreference('app.update.enabled', false)
    .setPreference('browser.download.folderList', 2)
    .setPreference('browser.download.dir', downloads)
    .setPreference('browser.download.useDownloadDir', true)
    .setPreference('browser.download.always_ask_before_handling_new_types', false)
    .setPreference('browser.download.alwaysOpenPanel', false)
    .setPreference('browser.helperApps.neverAsk.saveToDisk', 'application/json');
  const service = new firefox.ServiceBuilder(geckodriverPath()).addArguments('--allow-system-access');
  driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
  base = `moz-extension://${UUID}`;
});

after(async () => {
  await driver?.quit();
  await server?.close();
  fs.rmSync(downloads, { recursive: true, force: true });
});

let pageTab;
let popupTab;
const css = (selector) => driver.findElement(By.css(selector));
const located = (selector) => driver.wait(until.elementLocated(By.css(selector)), 10_000);

/** Opens `name` in the page tab, then the popup for that tab in the popup tab. */
async function popupFor(name, options) {
  const url = `${server.base}/${name}`;
  await driver.switchTo().window(pageTab);
  await driver.get(url);
  await driver.switchTo().window(popupTab);
  const tabId = await tabIdFor(url, options);
  await driver.get(`${base}/popup.html?tab=${tabId}`);
}

/** Runs `script` (a function of `done`) in the extension page of the current tab. */
async function inExtension(script, ...args) {
  const text = await driver.executeAsyncScript(script, ...args);
  return JSON.parse(text);
}
const registered = () => inExtension(function (done) {
  chrome.scripting.getRegisteredContentScripts().then((s) => done(JSON.stringify(s.flatMap((c) => c.matches))), (e) => done(JSON.stringify(String(e))));
});
const grantedOrigins = () => inExtension(function (done) {
  chrome.permissions.getAll().then((p) => done(JSON.stringify(p.origins)), (e) => done(JSON.stringify(String(e))));
});

test('a tab open before install is read once the shopper allows site access on the welcome page, and the popup shows its product', async () => {
  await driver.get(`${server.base}/product.html`); // opened while the extension is not installed yet
  pageTab = await driver.getWindowHandle();
  // The packed zip itself, as a store would receive it.
  await driver.installAddon(path.join(root, 'dist', 'stacksmart-firefox.zip'), true);
  // The install opened the welcome page in a tab of its own.
  const welcome = await waitFor(async () => {
    for (const handle of await driver.getAllWindowHandles()) {
      await driver.switchTo().window(handle);
      if ((await driver.getCurrentUrl()).endsWith('/onboarding.html')) return handle;
    }
    return null;
  }, { what: 'the welcome page' });
  await located('[data-testid="sites-form"]');
  // No site access yet: nothing registered, the open tab not read.
  assert.deepEqual(await grantedOrigins(), []);
  assert.deepEqual(await registered(), []);
  assert.deepEqual(Object.keys(await storedResults()), []);
  // The explicit click: every shop, and the browser's permission request with it.
  await css('[data-testid="sites-all"]').click();
  await css('[data-testid="save-sites"]').click();
  await located('[data-testid="sites-saved"]');
  await driver.wait(async () => (await grantedOrigins()).includes('https://*/*'), 10_000);
  await driver.wait(async () => (await registered()).length === 2, 10_000);
  assert.deepEqual(await registered(), ['http://*/*', 'https://*/*']);
  assert.equal((await driver.findElements(By.css('[data-testid="grant"]'))).length, 0);
  await driver.manage().window().setRect({ width: 720, height: 1000 });
  await screenshot('firefox-onboarding.png');
  await driver.manage().window().setRect({ width: 420, height: 400 });
  // The grant put the collector into the tab opened before install.
  popupTab = welcome;
  const tabId = await tabIdFor(`${server.base}/product.html`);
  await driver.get(`${base}/popup.html?tab=${tabId}`);
  const title = await driver.wait(until.elementLocated(By.css('[data-testid="product-title"]')), 10_000);
  assert.equal(await title.getText(), PRODUCT.title);
  assert.equal(await driver.findElement(By.css('[data-testid="product-price"]')).getText(), PRODUCT.price);
  assert.equal(await driver.findElement(By.css('[data-testid="availability"]')).getText(), 'In stock');
  await screenshot('firefox-popup-product.png');
});

test('a page without a product says so', async () => {
  await popupFor('no-product.html', { sent: false });
  const state = await driver.wait(until.elementLocated(By.css('[data-testid="no-product"]')), 10_000);
  assert.match(await state.getText(), /No product found on this page/);
  await screenshot('firefox-popup-no-product.png');
});

test('malformed JSON-LD is survived', async () => {
  await popupFor('malformed.html');
  const title = await driver.wait(until.elementLocated(By.css('[data-testid="product-title"]')), 10_000);
  assert.equal(await title.getText(), 'Mug with a line break');
  assert.equal(await driver.findElement(By.css('[data-testid="product-price"]')).getText(), '€7.50');
});

test('the popup follows the tab to its next page', async () => {
  await popupFor('product.html');
  await driver.wait(until.elementLocated(By.css('[data-testid="product-title"]')), 10_000);
  await popupFor('no-product.html', { sent: false });
  await driver.wait(until.elementLocated(By.css('[data-testid="no-product"]')), 10_000);
});

test('the popup shows the microdata product, its M.R.P., deal score and the offers on the page', async () => {
  await popupFor('offers.html');
  const title = await driver.wait(until.elementLocated(By.css('[data-testid="product-title"]')), 10_000);
  assert.equal(await title.getText(), 'Aero Blender 600 W');
  assert.equal(await driver.findElement(By.css('[data-testid="product-price"]')).getText(), '₹4,999.00');
  assert.equal(await driver.findElement(By.css('[data-testid="list-price"]')).getText(), '₹7,495.00');
  assert.match(await driver.findElement(By.css('[data-testid="score-number"]')).getText(), /^\d{1,3} \/ 100$/);
  const offers = await driver.findElements(By.css('[data-testid="offer"] strong'));
  assert.deepEqual(await Promise.all(offers.map((o) => o.getText())), [
    'Bank offer: 10% off, with HDFC Bank credit cards, up to ₹1,250.00, on ₹5,000.00 or more',
    'Coupon code: ₹200.00 off',
  ]);
  // The price history: one point, under the product's GTIN.
  const history = await driver.executeAsyncScript(function (done) {
    chrome.storage.local.get('hist:gtin:08901234567890').then((v) => done(JSON.stringify(v)), (e) => done(`error: ${e}`));
  });
  const points = JSON.parse(history)['hist:gtin:08901234567890'];
  assert.equal(points.length, 1);
  assert.equal(String(points[0].price), '4999');
  await screenshot('firefox-popup-offers.png');
});

/** Sends a message to the background from the extension page in the current tab. */
async function sendMessage(message) {
  const text = await driver.executeAsyncScript(function (m, done) {
    chrome.runtime.sendMessage(m).then((r) => done(JSON.stringify(r)), (e) => done(JSON.stringify({ type: 'error', message: String(e) })));
  }, message);
  return JSON.parse(text);
}

test('the popup shows the best stack with the wallet, and follows wallet edits without a reload', async () => {
  await popupFor('bank-offer.html');
  const net = await driver.wait(until.elementLocated(By.css('[data-testid="net-cost"]')), 10_000);
  assert.equal(await net.getText(), '₹12,499.00');
  assert.equal((await driver.findElements(By.css('[data-testid="no-cards"]'))).length, 1);
  const saved = await sendMessage({
    type: 'save_wallet',
    wallet: {
      schema: 2,
      cards: [{ id: 'hdfc-millennia', catalogue: 'hdfc-millennia' }, { id: 'icici-amazon-pay', catalogue: 'icici-amazon-pay' }],
      gift_cards: [{ id: 'gift-1', merchant: '127.0.0.1', balance: '300' }],
    },
  });
  assert.equal(saved.type, 'wallet', JSON.stringify(saved));
  // Same arithmetic as in Chromium: 12,499 − 1,249.90 bank discount − 112.49 card rewards.
  await driver.wait(async () => (await driver.findElement(By.css('[data-testid="net-cost"]')).getText()) === '₹11,136.61', 10_000);
  assert.equal(await driver.findElement(By.css('[data-testid="saved"]')).getText(), 'You save ₹1,862.39 (14.3 %)');
  const plan = await driver.findElements(By.css('[data-testid="plan"] li'));
  assert.deepEqual(await Promise.all(plan.map((li) => li.getText())), [
    'Apply CLEAN500',
    'Pay with HDFC Bank Millennia to get the HDFC Bank offer',
    'Keep your ₹300.00 gift-card balance for another order: paying this one by card is worth more',
  ]);
  await screenshot('firefox-popup-stack.png');
  assert.equal((await sendMessage({ type: 'import_wallet', text: '{"schema": 2, "cards": [{"id": "x"}]}' })).code, 'bad_wallet');
  assert.equal((await sendMessage({ type: 'get_wallet' })).wallet.cards.length, 2, 'a refused import changes nothing');
  await driver.executeAsyncScript(function (done) { chrome.storage.local.remove('wallet').then(done, done); });
});

test('the in-page badge shows in a closed shadow root beside, never over, the buy button', async () => {
  await driver.switchTo().window(popupTab);
  await driver.get(`${base}/popup.html`);
  const saved = await sendMessage({
    type: 'save_wallet',
    wallet: { schema: 2, cards: [{ id: 'hdfc-millennia', catalogue: 'hdfc-millennia' }] },
  });
  assert.equal(saved.type, 'wallet', JSON.stringify(saved));
  await driver.switchTo().window(pageTab);
  await driver.get(`${server.base}/bank-offer.html`);
  await driver.wait(until.elementLocated(By.css('stacksmart-badge')), 10_000);
  const boxes = await driver.executeScript(function () {
    const host = document.querySelector('stacksmart-badge');
    return { closed: host.shadowRoot === null, badge: host.getBoundingClientRect().toJSON(),
      buy: document.getElementById('buy-now').getBoundingClientRect().toJSON() };
  });
  assert.ok(boxes.closed, 'the page cannot read the badge');
  const { badge, buy } = boxes;
  assert.ok(badge.width > 100 && badge.height > 10, JSON.stringify(badge));
  const overlap = badge.left < buy.right && buy.left < badge.right && badge.top < buy.bottom && buy.top < badge.bottom;
  assert.ok(!overlap, JSON.stringify(boxes));
  await screenshot('firefox-badge.png');
  await driver.switchTo().window(popupTab);
  await driver.executeAsyncScript(function (done) { chrome.storage.local.remove('wallet').then(done, done); });
});

/** The wallet as stored, read from an extension page. */
async function storedWallet() {
  const text = await driver.executeAsyncScript(function (done) {
    chrome.storage.local.get('wallet').then((v) => done(JSON.stringify(v.wallet ?? null)), (e) => done(`error: ${e}`));
  });
  return text.startsWith('error') ? assert.fail(text) : JSON.parse(text);
}


test('options: catalogue cards and a gift card are stored, a bad import changes nothing, the export is schema 2', async () => {
  await driver.manage().window().setRect({ width: 800, height: 1400 });
  await driver.get(`${base}/options.html`);
  await located('[data-testid="ready"]');
  for (const [query, id] of [['millennia', 'hdfc-millennia'], ['amazon pay icici', 'icici-amazon-pay']]) {
    const search = await css('[data-testid="catalogue-search"]');
    // Backspaces, not Ctrl+A or clear(): those left the field empty in Firefox.
    const typed = await search.getAttribute('value');
    await search.sendKeys(Key.END, Key.BACK_SPACE.repeat(typed.length), query);
    const result = await located(`[data-testid="catalogue-result"][data-card="${id}"]`);
    assert.match(await result.findElement(By.css('[data-testid="unverified"]')).getText(), /Not verified against the issuer's page/);
    await result.findElement(By.css('[data-testid="add-card"]')).click();
    await located(`[data-testid="wallet-card"][data-card="${id}"]`);
  }
  await css('[data-testid="gift-merchant"]').sendKeys('amazon.in');
  await css('[data-testid="gift-balance"]').sendKeys('300', Key.ENTER); // Enter submits the form
  await located('[data-testid="gift-card"][data-merchant="amazon.in"]');

  await driver.navigate().refresh();
  await located('[data-testid="wallet-card"]');
  const listed = async () => Promise.all((await driver.findElements(By.css('[data-testid="wallet-card"]'))).map((e) => e.getAttribute('data-card')));
  assert.deepEqual(await listed(), ['hdfc-millennia', 'icici-amazon-pay']);
  assert.match(await css('[data-testid="gift-card"]').getText(), /amazon\.in · balance 300/);
  const stored = await storedWallet();
  assert.equal(stored.schema, 2);
  assert.deepEqual(stored.cards.map((c) => [c.id, c.catalogue]), [['hdfc-millennia', 'hdfc-millennia'], ['icici-amazon-pay', 'icici-amazon-pay']]);
  assert.equal(stored.gift_cards[0].merchant, 'amazon.in');
  assert.equal(String(stored.gift_cards[0].balance), '300');

  const badFile = path.join(downloads, 'bad-wallet.json');
  fs.writeFileSync(badFile, JSON.stringify({ schema: 2, cards: [{ id: 'mystery', catalogue: 'no-such-card' }] }));
  await css('[data-testid="import-file"]').sendKeys(badFile);
  const alert = await located('[data-testid="import-error"]');
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.match(await alert.getText(), /cards\[0\]\.catalogue/);
  assert.deepEqual(await storedWallet(), stored, 'the stored wallet is unchanged');
  assert.deepEqual(await listed(), ['hdfc-millennia', 'icici-amazon-pay']);

  const exportFile = path.join(downloads, 'stacksmart-wallet-and-prices.json');
  await css('[data-testid="export"]').click();
  const exported = await waitFor(() => {
    try {
      return JSON.parse(fs.readFileSync(exportFile, 'utf8'));
    } catch {
      return null;
    }
  }, { what: `the export in ${exportFile}` });
  assert.equal(exported.wallet.schema, 2);
  assert.deepEqual(exported.wallet.cards.map((c) => c.catalogue), ['hdfc-millennia', 'icici-amazon-pay']);
  assert.ok(exported.price_history, 'the history goes with it unless unticked');
  await driver.executeScript('window.scrollTo(0, 0)');
  await screenshot('firefox-options.png');
  await driver.manage().window().setRect({ width: 420, height: 400 });
});

/** Replaces what an input holds (backspaces: Ctrl+A or clear() left fields empty in Firefox). */
async function retype(element, text) {
  const typed = await element.getAttribute('value');
  await element.sendKeys(Key.END, Key.BACK_SPACE.repeat(typed.length), text);
}

test('options: an enrolled offer is edited in place, a bad amount is named in its row, and the popup counts the edit', async () => {
  await driver.switchTo().window(pageTab);
  await driver.get(`${server.base}/bank-offer.html?enrolled`);
  await driver.switchTo().window(popupTab);
  const tabId = await tabIdFor(`${server.base}/bank-offer.html?enrolled`);
  const saved = await sendMessage({
    type: 'save_wallet',
    wallet: {
      schema: 2,
      cards: [{ id: 'hdfc-millennia', catalogue: 'hdfc-millennia' }, { id: 'icici-amazon-pay', catalogue: 'icici-amazon-pay' }],
      card_offers: [{ id: 'millennia-local', card: 'hdfc-millennia', merchant: '127.0.0.1', value: { spend_get: { min_spend: '10000', credit: '100' } } }],
    },
  });
  assert.equal(saved.type, 'wallet', JSON.stringify(saved));
  const netCost = async () => {
    await driver.get(`${base}/popup.html?tab=${tabId}`);
    return (await located('[data-testid="net-cost"]')).getText();
  };
  // A ₹100 credit loses to the bank's 10 % off (only one of the two applies).
  assert.equal(await netCost(), '₹11,136.61');

  await driver.manage().window().setRect({ width: 800, height: 1400 });
  await driver.get(`${base}/options.html`);
  const row = '[data-testid="card-offer"][data-offer="millennia-local"]';
  await (await located(`${row} [data-testid="offer-edit"]`)).click();
  const field = (name) => located(`#offer-edit-millennia-local-${name}`);
  assert.equal(await driver.executeScript('return document.activeElement.id'), 'offer-edit-millennia-local-card');
  await retype(await field('credit'), '0');
  await css(`${row} [data-testid="offer-save"]`).click();
  const alert = await located(`${row} [data-testid="offer-edit-error"]`);
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.equal(await alert.getText(), 'Get back: enter an amount above zero');
  assert.equal((await storedWallet()).card_offers[0].value.spend_get.credit, '100', 'nothing saved');
  await css('#offer-edit-millennia-local-card option[value="icici-amazon-pay"]').click();
  await retype(await field('credit'), '2000');
  await (await field('terms')).sendKeys('Once per card.');
  await css(`${row} [data-testid="offer-save"]`).click();
  await driver.wait(async () => (await storedWallet()).card_offers[0].value.spend_get.credit === '2000', 10_000);
  const offer = (await storedWallet()).card_offers[0];
  assert.deepEqual([offer.id, offer.card, offer.terms, offer.used], ['millennia-local', 'icici-amazon-pay', 'Once per card.', false]);
  // Back on the Millennia card, by keyboard this time (Enter on Edit, Enter in a field).
  await (await located(`${row} [data-testid="offer-edit"]`)).sendKeys(Key.ENTER);
  await css('#offer-edit-millennia-local-card option[value="hdfc-millennia"]').click();
  await (await field('delay')).sendKeys(Key.ENTER);
  await driver.wait(async () => (await storedWallet()).card_offers[0].card === 'hdfc-millennia', 10_000);
  await screenshot('firefox-options-offer-edited.png');
  await driver.manage().window().setRect({ width: 420, height: 700 });
  // The ₹2,000 credit now beats the bank's 10 %: 12,999 − 500 − 124.99 cash back − 2,000.
  assert.equal(await netCost(), '₹10,374.01');
  const plan = await driver.findElements(By.css('[data-testid="plan"] li'));
  assert.deepEqual(await Promise.all(plan.map((li) => li.getAttribute('textContent'))), [
    'Apply CLEAN500',
    'Pay with HDFC Bank Millennia to get the HDFC Bank Millennia offer',
  ]);
  await assertNoInternalIds(await storedWallet());
  await screenshot('firefox-popup-offer-edited.png');
  await driver.executeAsyncScript(function (done) { chrome.storage.local.remove('wallet').then(done, done); });
  await driver.manage().window().setRect({ width: 420, height: 400 });
});

test('a new shopper: the welcome page, two cards and a gift card in the options, then the badge and the popup show the stack', async () => {
  await driver.switchTo().window(popupTab);
  await driver.manage().window().setRect({ width: 800, height: 1400 });
  await driver.get(`${base}/onboarding.html`);
  await driver.executeAsyncScript(function (done) { chrome.storage.local.remove('wallet').then(done, done); });
  await driver.navigate().refresh();
  await (await located('[data-testid="sites-all"]')).click();
  await css('[data-testid="save-sites"]').click();
  await located('[data-testid="sites-saved"]');
  await driver.get(`${base}/options.html`);
  await located('[data-testid="ready"]');
  for (const [query, id] of [['millennia', 'hdfc-millennia'], ['amazon pay icici', 'icici-amazon-pay']]) {
    const search = await css('[data-testid="catalogue-search"]');
    const typed = await search.getAttribute('value');
    await search.sendKeys(Key.END, Key.BACK_SPACE.repeat(typed.length), query);
    const result = await located(`[data-testid="catalogue-result"][data-card="${id}"]`);
    await result.findElement(By.css('[data-testid="add-card"]')).click();
    await located(`[data-testid="wallet-card"][data-card="${id}"]`);
  }
  await css('[data-testid="gift-merchant"]').sendKeys('127.0.0.1');
  await css('[data-testid="gift-balance"]').sendKeys('300', Key.ENTER);
  await located('[data-testid="gift-card"][data-merchant="127.0.0.1"]');
  await driver.manage().window().setRect({ width: 420, height: 700 });

  await driver.switchTo().window(pageTab);
  await driver.get(`${server.base}/bank-offer.html?journey`);
  await located('stacksmart-badge');
  await driver.switchTo().window(popupTab);
  const tabId = await tabIdFor(`${server.base}/bank-offer.html?journey`);
  await driver.get(`${base}/popup.html?tab=${tabId}`);
  const net = await located('[data-testid="net-cost"]');
  // 12,999 − 500 code − 1,249.90 bank discount − 112.49 Millennia cash back = 11,136.61.
  assert.equal(await net.getText(), '₹11,136.61');
  const plan = await driver.findElements(By.css('[data-testid="plan"] li'));
  assert.deepEqual(await Promise.all(plan.map((li) => li.getText())), [
    'Apply CLEAN500',
    'Pay with HDFC Bank Millennia to get the HDFC Bank offer',
    'Keep your ₹300.00 gift-card balance for another order: paying this one by card is worth more',
  ]);
  await screenshot('firefox-journey-popup.png');
  await driver.executeAsyncScript(function (done) { chrome.storage.local.remove('wallet').then(done, done); });
  await driver.manage().window().setRect({ width: 420, height: 400 });
});

test('site access follows the settings and the browser: "none" gives it back and nothing is registered or read; a withdrawal outside the settings is followed; "Allow access" asks again', async () => {
  await driver.switchTo().window(popupTab);
  await driver.manage().window().setRect({ width: 800, height: 1400 });
  await driver.get(`${base}/options.html`);
  await located('[data-testid="ready"]');
  await css('[data-testid="sites-none"]').click();
  await css('[data-testid="settings-save"]').click();
  await located('#settings [data-testid="saved"]');
  await driver.wait(async () => (await grantedOrigins()).length === 0, 10_000);
  assert.deepEqual(await registered(), []);
  // A product page opened now is not read.
  await driver.switchTo().window(pageTab);
  await driver.get(`${server.base}/product.html?none`);
  await driver.sleep(1500);
  await driver.switchTo().window(popupTab);
  assert.ok(!Object.values(await storedResults()).some((v) => v.url.endsWith('?none')), 'no snapshot without site access');

  // Every site again: the save's click asks the browser, and the collector follows.
  await css('[data-testid="sites-all"]').click();
  await css('[data-testid="settings-save"]').click();
  await driver.wait(async () => (await registered()).length === 2, 10_000);
  assert.deepEqual(await grantedOrigins(), ['http://*/*', 'https://*/*']);
  await driver.switchTo().window(pageTab);
  await driver.navigate().refresh();
  await driver.switchTo().window(popupTab);
  await waitFor(async () => Object.values(await storedResults()).some((v) => v.url.endsWith('?none')), { what: 'the page read again' });

  // Taken back outside the settings (here by the extension's own API, which fires the same
  // permissions.onRemoved as the browser's add-on manager does): the background unregisters
  // the collector, and the settings say what is missing, with the click that asks again.
  await inExtension(function (done) {
    chrome.permissions.remove({ origins: ['http://*/*', 'https://*/*'] }).then((r) => done(JSON.stringify(r)), (e) => done(JSON.stringify(String(e))));
  });
  await driver.wait(async () => (await registered()).length === 0, 10_000);
  const note = await located('[data-testid="sites-grant"]');
  assert.match(await note.getText(), /Your browser has not allowed StackSmart to read every site/);
  await driver.executeScript("document.getElementById('settings').scrollIntoView()");
  await screenshot('firefox-settings-access-missing.png');
  await note.findElement(By.css('[data-testid="allow-access"]')).click();
  await driver.wait(async () => (await registered()).length === 2, 10_000);
  await driver.wait(async () => (await driver.findElements(By.css('[data-testid="sites-grant"]'))).length === 0, 10_000);
  await driver.manage().window().setRect({ width: 420, height: 400 });
});

test('popup: a site the settings leave out is allowed from the popup in one click, and its product shows without reopening', async () => {
  await driver.switchTo().window(popupTab);
  await driver.manage().window().setRect({ width: 800, height: 1400 });
  await driver.get(`${base}/options.html`);
  await located('[data-testid="ready"]');
  await css('[data-testid="sites-none"]').click();
  await css('[data-testid="settings-save"]').click();
  await driver.wait(async () => (await grantedOrigins()).length === 0, 10_000);
  const url = `${server.base}/product.html?ff-left-out`;
  await driver.switchTo().window(pageTab);
  await driver.get(url);
  await clickToolbarButton();
  await driver.switchTo().window(popupTab);
  await driver.manage().window().setRect({ width: 420, height: 500 });
  assert.ok(!Object.values(await storedResults()).some((v) => v.url === url), 'not read: the settings say no site');
  const tabId = await waitFor(() => inExtension(function (u, done) {
    chrome.tabs.query({}).then((tabs) => done(JSON.stringify(tabs.find((t) => t.url === u)?.id ?? null)));
  }, url), { what: 'the clicked tab, seen by the extension' });
  await driver.get(`${base}/popup.html?tab=${tabId}`);
  const why = await located('[data-testid="not-read-why"]');
  assert.equal(await why.getText(), 'Your settings leave 127.0.0.1 out of the sites StackSmart reads.');
  const allow = await css('[data-testid="allow-site"]');
  assert.equal(await allow.getText(), 'Allow on 127.0.0.1');
  await screenshot('firefox-popup-not-read.png');
  // The click asks Firefox (its pref answers for the prompt), the settings gain the shop, and
  // the popup reads the tab where it is.
  await allow.click();
  const title = await located('[data-testid="product-title"]');
  assert.equal(await title.getText(), PRODUCT.title);
  assert.deepEqual((await storedWallet()).settings.sites, { mode: 'list', sites: ['127.0.0.1'] });
  assert.deepEqual(await grantedOrigins(), ['*://127.0.0.1/*']);
  assert.deepEqual(await registered(), ['*://127.0.0.1/*']);
  await screenshot('firefox-popup-allowed.png');
  await driver.manage().window().setRect({ width: 420, height: 400 });
});

test('settings: narrowing every site to a list of shops takes one click', async () => {
  await driver.switchTo().window(popupTab);
  await driver.manage().window().setRect({ width: 800, height: 1400 });
  await driver.get(`${base}/options.html`);
  await located('[data-testid="ready"]');
  await css('[data-testid="sites-all"]').click();
  await css('[data-testid="settings-save"]').click();
  await driver.wait(async () => (await grantedOrigins()).includes('https://*/*'), 10_000);
  await css('[data-testid="sites-list"]').click();
  await retype(await css('[data-testid="settings-sites"]'), 'amazon.in');
  await css('[data-testid="settings-save"]').click();
  // One click: the every-site grant given back and the shop asked for (a `*://` pattern:
  // Firefox refused those while the manifest declared http and https apart, and then took
  // the grant back with nothing in its place until a second click).
  await driver.wait(async () => (await registered()).join() === '*://*.amazon.in/*,*://amazon.in/*', 10_000);
  assert.deepEqual([...await grantedOrigins()].sort(), ['*://*.amazon.in/*', '*://amazon.in/*']);
  assert.equal((await driver.findElements(By.css('[data-testid="sites-grant"]'))).length, 0, 'nothing missing after one click');
  await driver.manage().window().setRect({ width: 420, height: 400 });
});

test('options: settings imported without a click that ask for more than the browser allows are said at the top; "Allow access" or narrowing the settings fixes it', async () => {
  await driver.switchTo().window(popupTab);
  await driver.manage().window().setRect({ width: 800, height: 1000 });
  await driver.get(`${base}/options.html`);
  await located('[data-testid="ready"]');
  const importSites = async (sites) => {
    const box = await css('[data-testid="import-text"]');
    await retype(box, JSON.stringify({ schema: 2, settings: { sites } }));
    await css('[data-testid="import-submit"]').click();
    await driver.wait(async () => JSON.stringify((await storedWallet())?.settings?.sites ?? { mode: 'all' }) === JSON.stringify(sites), 10_000);
  };
  await importSites({ mode: 'all' });
  let note = await located('[data-testid="sites-mismatch"]');
  assert.equal(await note.getAttribute('data-mismatch'), 'missing');
  assert.match(await note.getText(), /Your browser has not allowed StackSmart to read every site.*Allow access.*Change the settings to amazon\.in instead/s);
  assert.match(await css('[data-testid="import-sites"]').getText(), /not allowed StackSmart to read every site/);
  await driver.executeScript('window.scrollTo(0, 0)');
  await screenshot('firefox-options-sites-mismatch.png');
  // Keep the browser's answer: the settings narrow to the shop it allows.
  await note.findElement(By.css('[data-testid="align-settings"]')).click();
  await driver.wait(async () => (await storedWallet()).settings.sites.mode === 'list', 10_000);
  assert.deepEqual((await storedWallet()).settings.sites, { mode: 'list', sites: ['amazon.in'] });
  await driver.wait(async () => (await driver.findElements(By.css('[data-testid="sites-mismatch"]'))).length === 0, 10_000);
  assert.equal(await css('[data-testid="sites-list"]').isSelected(), true, 'the settings form shows the narrowed choice');
  // Or ask the browser: one click on "Allow access".
  await importSites({ mode: 'all' });
  note = await located('[data-testid="sites-mismatch"]');
  await note.findElement(By.css('[data-testid="allow-access"]')).click();
  await driver.wait(async () => (await registered()).join() === 'http://*/*,https://*/*', 10_000);
  await driver.wait(async () => (await driver.findElements(By.css('[data-testid="sites-mismatch"]'))).length === 0, 10_000);
  await driver.executeAsyncScript(function (done) { chrome.storage.local.remove('wallet').then(done, done); });
  await driver.manage().window().setRect({ width: 420, height: 400 });
});
