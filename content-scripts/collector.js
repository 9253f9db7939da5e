// StackSmart page collector (snapshot format v1, docs/snapshot.md).
//
// Reads what the page says about itself and hands it to the background, where the Rust
// engine interprets it. It does no interpretation here: it never parses JSON-LD, so broken
// markup cannot throw. It never makes a network request, never writes to the page, runs in
// the top frame only, and bounds its work. Everything is wrapped so nothing reaches the page.
(() => {
  'use strict';
  if (window.top !== window) return;

  const MAX_BLOCKS = 32;
  const MAX_BLOCK_BYTES = 256 * 1024;
  const MAX_TOTAL_BYTES = 1024 * 1024;
  const MAX_TEXT = 2048;
  const SENDS_PER_URL = 4;
  const DEBOUNCE_MS = 600;

  // One live collector per tab. A newer one (injected on install or update) takes over from
  // an older one, which may belong to an extension instance that no longer exists.
  const previous = globalThis.__stackSmartCollector;
  if (previous && typeof previous.stop === 'function') {
    try { previous.stop(); } catch (_) { /* an orphaned collector may already be gone */ }
  }

  let stopped = false;
  let observer = null;
  let timer = 0;
  let lastUrl = '';
  let lastSent = '';
  let sendsForUrl = 0;

  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    if (observer) observer.disconnect();
    observer = null;
    try { chrome.runtime.onMessage.removeListener(onMessage); } catch (_) { /* orphaned */ }
  };
  globalThis.__stackSmartCollector = { stop };

  const clip = (s) => (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);

  function collect() {
    let truncated = false;
    let total = 0;
    const jsonLd = [];
    const scripts = document.querySelectorAll('script[type="application/ld+json" i]');
    for (const script of scripts) {
      if (jsonLd.length >= MAX_BLOCKS) { truncated = true; break; }
      const text = script.textContent || '';
      if (text.length > MAX_BLOCK_BYTES || total + text.length > MAX_TOTAL_BYTES) {
        truncated = true;
        continue;
      }
      total += text.length;
      jsonLd.push(text);
    }
    const canonical = document.querySelector('link[rel~="canonical" i][href]');
    const lang = document.documentElement.getAttribute('lang');
    return {
      version: 1,
      url: clip(location.href),
      title: clip(document.title || ''),
      lang: lang ? clip(lang) : null,
      canonical_url: canonical ? clip(canonical.href) : null,
      json_ld: jsonLd,
      truncated,
    };
  }

  function send() {
    if (stopped) return;
    // The extension was updated or removed: this collector is orphaned and stops quietly.
    if (!globalThis.chrome || !chrome.runtime || !chrome.runtime.id) { stop(); return; }
    const snapshot = collect();
    if (snapshot.url !== lastUrl) { lastUrl = snapshot.url; sendsForUrl = 0; lastSent = ''; }
    const key = snapshot.title + '\u0000' + snapshot.json_ld.join('\u0000');
    if (key === lastSent || sendsForUrl >= SENDS_PER_URL) return;
    lastSent = key;
    sendsForUrl += 1;
    try {
      chrome.runtime.sendMessage({ type: 'page_snapshot', snapshot }).catch(stopIfOrphaned);
    } catch (error) {
      stopIfOrphaned(error);
    }
  }

  // The background asks for the page as it is now when the popup opens, so the popup never
  // shows a result for a page this tab has left.
  function onMessage(message, sender, sendResponse) {
    if (stopped || !message || message.type !== 'collect') return false;
    try { sendResponse(collect()); } catch (_) { sendResponse(null); }
    return false;
  }

  function stopIfOrphaned() {
    const runtime = globalThis.chrome && chrome.runtime;
    if (!runtime || !runtime.id) stop();
  }

  function schedule() {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => { try { send(); } catch (_) { stop(); } }, DEBOUNCE_MS);
  }

  try {
    chrome.runtime.onMessage.addListener(onMessage);
    send();
    // Single-page shops change the URL and render prices late: look again, debounced, at
    // most SENDS_PER_URL times per address (identical snapshots are not resent).
    observer = new MutationObserver(() => {
      if (location.href !== lastUrl || sendsForUrl < SENDS_PER_URL) schedule();
    });
    observer.observe(document.documentElement, { childList: true, subtree: true });
  } catch (_) {
    stop();
  }
})();
