// StackSmart background: Chrome's service worker and Firefox's event page (one ES module).
//
// All logic is in the Rust wasm (background/src). This file only loads it and forwards
// browser events. Rules it keeps:
// - every listener is registered synchronously at top level, or a woken worker misses the
//   event that woke it;
// - the wasm is instantiated lazily and once (no top-level await), and a failed load answers
//   callers with an error instead of leaving them waiting;
// - the current time is passed in: wasm has no clock of its own here.
import init, { handleMessage, forgetTab, onInstalled, onStartup, onAlarm, onPermissionsChanged } from './background_wasm.js';

// Periodic sync (docs/sync-protocol.md): a round every few minutes when signed in; offline
// edits go out on the first round that reaches the server.
const SYNC_ALARM = 'stacksmart-sync';
const SYNC_PERIOD_MINUTES = 5;
function ensureSyncAlarm() {
  chrome.alarms.get(SYNC_ALARM).then((alarm) => {
    if (!alarm) chrome.alarms.create(SYNC_ALARM, { periodInMinutes: SYNC_PERIOD_MINUTES });
  }).catch(console.warn);
}

let ready = null;
function wasm() {
  ready ??= init({ module_or_path: new URL('background_wasm_bg.wasm', import.meta.url) }).catch((error) => {
    ready = null; // let the next event retry
    throw error;
  });
  return ready;
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  wasm()
    .then(() => handleMessage(message, sender.tab?.id, Date.now()))
    .then(sendResponse, (error) =>
      sendResponse({ type: 'error', code: 'internal', message: `StackSmart failed to start: ${error}` }));
  return true; // the answer is asynchronous
});

// The page in a tab as it is now, from its collector (content-scripts/collector.js); null when
// the tab has none. The collector has no message listener (registering one would cost every
// page it runs on), so its `collect()` is run in the tab's top frame, in its isolated world.
// Here because scripting.executeScript takes a JS function; the wasm calls it.
globalThis.stackSmartCollect = async (tabId) => {
  const [frame] = await chrome.scripting.executeScript({
    target: { tabId },
    func: () => globalThis.__stackSmartCollector?.collect?.() ?? null,
  });
  return frame?.result ?? null;
};

chrome.tabs.onRemoved.addListener((tabId) => {
  wasm().then(() => forgetTab(tabId, Date.now())).catch(console.warn);
});

chrome.runtime.onInstalled.addListener((details) => {
  ensureSyncAlarm();
  wasm().then(() => onInstalled(Date.now(), details.reason)).catch(console.warn);
});

chrome.runtime.onStartup.addListener(() => {
  ensureSyncAlarm();
  wasm().then(() => onStartup(Date.now())).catch(console.warn);
});

chrome.alarms.onAlarm.addListener((alarm) => {
  wasm().then(() => onAlarm(alarm.name, Date.now())).catch(console.warn);
});

// Site access is an optional host permission: the collector runs only where the browser
// grants it, and follows every grant and every withdrawal (including the browser's own UI).
chrome.permissions.onAdded.addListener(() => {
  wasm().then(() => onPermissionsChanged(Date.now(), true)).catch(console.warn);
});
chrome.permissions.onRemoved.addListener(() => {
  wasm().then(() => onPermissionsChanged(Date.now(), false)).catch(console.warn);
});
