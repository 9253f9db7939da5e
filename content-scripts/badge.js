// StackSmart's in-page badge: one small, dismissable line with the saving the background
// worked out ("Save ₹1,862 with your HDFC Bank Millennia + code CLEAN500").
//
// It lives in a closed shadow root on a fixed-position host outside <body>, so the page's CSS
// cannot restyle it, it cannot restyle the page, and it shifts no layout. It takes the first
// corner where it covers no buy button, and stays away when every corner would. The collector
// (collector.js) calls show/hide; nothing here reads the page beyond those buttons' boxes. The
// background loads this script into a tab with the first badge to show there, not on every
// page the collector reads.
(() => {
  'use strict';
  if (globalThis.__stackSmartBadge) globalThis.__stackSmartBadge.hide();

  const BUY = /buy now|buy it now|add to (cart|basket|bag|trolley)|ajouter au panier|in den warenkorb|añadir al carrito|aggiungi al carrello|comprar|kup teraz|do koszyka/i;
  const CORNERS = [['bottom', 'left'], ['bottom', 'right'], ['top', 'left'], ['top', 'right']];
  const CSS = `
    :host { all: initial; }
    .badge { display: flex; align-items: center; gap: 8px; max-width: min(420px, calc(100vw - 32px));
      font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1f23;
      background: #fff; border: 1px solid #0b6bcb; border-left-width: 4px; border-radius: 8px;
      padding: 6px 6px 6px 10px; box-shadow: 0 2px 10px rgba(0,0,0,.18); }
    .text { overflow: hidden; text-overflow: ellipsis; }
    strong { color: #0b6bcb; }
    button { all: unset; cursor: pointer; font-size: 16px; line-height: 1; padding: 2px 6px; border-radius: 4px; color: #5b6270; }
    button:focus-visible { outline: 2px solid #0b6bcb; }
    @media (prefers-color-scheme: dark) {
      .badge { color: #e8eaed; background: #1b1d21; border-color: #6cb0ff; }
      strong { color: #6cb0ff; } button { color: #a8b0bd; }
    }`;

  let host = null;
  let dismissedFor = '';
  const mine = new WeakSet(); // every host this script made, for the collector's observer

  function hide() {
    if (host) host.remove();
    host = null;
  }

  // User-facing words come from _locales; the English fallback keeps the badge whole if a
  // string is missing.
  function message(key, fallback, substitution) {
    try {
      return chrome.i18n.getMessage(key, substitution) || fallback;
    } catch (_) {
      return fallback;
    }
  }

  function money(amount, currency) {
    try {
      // Never overstate a saving: whole units, rounded down.
      return new Intl.NumberFormat(undefined, { style: 'currency', currency,
        minimumFractionDigits: 0, maximumFractionDigits: 0, roundingMode: 'trunc' }).format(amount);
    } catch (_) {
      return `${amount} ${currency}`;
    }
  }

  function buyBoxes() {
    const boxes = [];
    for (const el of document.querySelectorAll('button, input[type="submit"], input[type="button"], a[role="button"], [role="button"]')) {
      const text = (el.value || el.textContent || '').trim();
      if (text.length > 60 || !BUY.test(text)) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) boxes.push(r);
      if (boxes.length >= 20) break;
    }
    return boxes;
  }

  const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

  /** badge: { saving, currency, how } from the background; url: the page it is for. */
  function show(badge, url) {
    hide();
    if (!badge || dismissedFor === url || !document.documentElement) return;
    host = document.createElement('stacksmart-badge');
    mine.add(host);
    // Important inline styles: a page rule on every element cannot move or hide the host.
    const set = (property, value) => host.style.setProperty(property, value, 'important');
    for (const [p, v] of [['position', 'fixed'], ['z-index', '2147483646'], ['margin', '0'],
      ['padding', '0'], ['border', '0'], ['display', 'block'], ['contain', 'layout style']]) set(p, v);
    const root = host.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = CSS;
    const box = document.createElement('div');
    box.className = 'badge';
    box.setAttribute('role', 'status');
    const text = document.createElement('span');
    text.className = 'text';
    const strong = document.createElement('strong');
    const amount = money(badge.saving, badge.currency);
    strong.textContent = message('badgeSave', `Save ${amount}`, [amount]);
    text.append('StackSmart: ', strong, ` ${badge.how}`);
    text.title = message('badgeTitle', 'Open StackSmart from the toolbar for the step-by-step receipt');
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = '×';
    close.setAttribute('aria-label', message('badgeDismiss', 'Dismiss the StackSmart badge'));
    close.addEventListener('click', () => { dismissedFor = url; hide(); });
    box.append(text, close);
    root.append(style, box);
    document.documentElement.append(host);
    if (!place()) hide(); // every corner covers a buy button: no badge rather than a covered button
  }

  // Puts the badge in the first corner where it covers no buy button; false (and out of
  // sight) when every corner would.
  function place() {
    const set = (property, value) => host.style.setProperty(property, value, 'important');
    const buttons = buyBoxes();
    for (const [v, h] of CORNERS) {
      for (const side of ['top', 'bottom', 'left', 'right']) set(side, 'auto');
      set(v, '16px');
      set(h, '16px');
      const r = host.getBoundingClientRect();
      if (!buttons.some((b) => overlaps(r, b))) {
        set('visibility', 'visible');
        return true;
      }
    }
    set('visibility', 'hidden');
    return false;
  }

  // A window made narrower can bring a buy button under the badge (or a wider one free a
  // corner): the corner is chosen again once the resizing settles.
  let resizing = 0;
  addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { if (host) place(); }, 150);
  }, { passive: true });

  const owns = (node) => mine.has(node);

  globalThis.__stackSmartBadge = { show, hide, owns };
})();
