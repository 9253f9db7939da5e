// StackSmart page collector (snapshot format v2, docs/snapshot.md).
//
// Reads what the page says about itself and hands it to the background, where the Rust
// engine interprets it. It does no interpretation here: it never parses JSON-LD, so broken
// markup cannot throw; it only picks out candidate texts by cheap, documented rules that
// engine/src/html_snapshot.rs mirrors for saved pages (a Chromium test compares the two). It never makes a network request, never writes to the page, runs in
// the top frame only, and bounds its work. Everything is wrapped so nothing reaches the page.
(() => {
  'use strict';
  if (window.top !== window) return;

  const MAX_BLOCKS = 32;
  const MAX_BLOCK_BYTES = 256 * 1024;
  const MAX_TOTAL_BYTES = 1024 * 1024;
  const MAX_TEXT = 2048;
  const SENDS_PER_URL = 4;
  // Collections per URL the page's DOM changes may start: a page that keeps changing (a
  // carousel, a ticking timer) without changing what it says costs a bounded number of
  // collections, not one every DEBOUNCE_MS for as long as it stays open.
  const COLLECTS_PER_URL = 8;
  const DEBOUNCE_MS = 600;
  const FIRST_LOOK_MS = 1000;
  // Version 2 caps (engine/src/snapshot.rs).
  const MAX_META = 64;
  const MAX_ITEMS = 64;
  const MAX_ITEM_PROPS = 512;
  const MAX_PRICES = 48;
  const MAX_FACTS = 128;
  const MAX_TEXTS = 32;
  const MAX_VALUE = 512;
  const MAX_PRICE_TEXT = 48;
  const MAX_CLIMB = 4;
  const MAX_CHILDREN = 6;
  const MAX_STOCK_TEXT = 120;
  const MAX_OFFER_TEXT = 300;
  const MAX_FACT_TEXT = 200;
  const MAX_ROW_CELLS = 6;
  const MAX_CRUMBS = 10;
  const MAX_CRUMB_TEXT = 100;
  const MAX_TRAILS = 4;
  const LEVELS_AFTER_PRICE = 1;
  const MAX_TEXT_NODES = 4000;
  const MAX_FACT_ELEMENTS = 500;
  const MAX_RAW_TEXT = 4096;
  const MAX_SHORT_NODE = 512;
  // Inline facts (`Product code: 141677` in a <p> or <span>, outside any table).
  const MAX_INLINE_FACT_TEXT = 80;
  const MAX_INLINE_LABEL = 40;
  const MAX_INLINE_FACTS = 32;
  const CURRENCY_SIGNS = /[$€£¥₹₽₩₪₫₴₦₱฿₸₺元円]/;
  const CURRENCY_WORDS = ['zł', 'kč', 'лв', 'руб', 'грн', 'р.', 'kr', 'kn', 'lei', 'ft', 'rs',
    'inr', 'usd', 'eur', 'gbp', 'chf', 'cad', 'aud', 'clp', 'ars', 'brl', 'mxn', 'pln', 'ron',
    'czk', 'huf', 'sek', 'nok', 'dkk', 'twd', 'byn', 'rub', 'uah', 'jpy', 'cny', 'try', 'tl'];
  const PRICE_HINTS = ['price', 'prix', 'preis', 'prec', 'preç', 'prezz', 'cena', 'hind',
    'цен', '價', '价', 'amount'];
  // Stock and buy-button wording: the same list as engine/src/detect/visible.rs (BUY,
  // OUT_OF_STOCK, IN_STOCK); a test compares them. Only picks candidates; the engine reads them.
  const STOCK_PHRASES = [
    'add to cart', 'add to basket', 'add to bag', 'add to trolley', 'add to your basket',
    'buy now', 'buy it now', 'ajouter au panier', 'in den warenkorb', 'añadir al carrito',
    'añadir al carro', 'agregar al carrito', 'agregar al carro', 'aggiungi al carrello',
    'dodaj do koszyka', 'do košíka', 'do košíku', 'в корзину', 'adicionar ao carrinho',
    'comprar', 'lisa ostukorvi', 'kosárba', '加入購物車', '立即購買', 'adaugă în coș', 'adauga in cos',
    'place bid', 'contact seller', 'out of stock', 'currently unavailable', 'sold out',
    'unavailable', 'no longer available', 'not available', 'indisponible', 'épuisé', 'rupture',
    'nicht verfügbar', 'ausverkauft', 'nicht lieferbar', 'agotado', 'sin stock', 'no disponible',
    'esaurito', 'non disponibile', 'niedostępny', 'brak w magazynie', 'vypredané', 'nedostupné',
    'nie je skladom', 'není skladem', 'нет в наличии', 'отсутствует', 'indisponível', 'esgotado',
    'otsas', 'pole laos', '缺貨', '售完', 'sold', 'stoc epuizat', 'indisponibil', 'in stock',
    'en stock', 'auf lager', 'disponible', 'available', 'купить', 'ostukorvi', 'laos', 'skladom',
    'na sklade', 'skladem', 'disponibil', 'in stoc', 'dostępny', 'w magazynie', 'disponibile',
    'verfügbar', 'lieferbar', 'bid', 'в наличии',
  ];
  const OFFER_PHRASES = ['coupon', 'use code', 'promo code', 'voucher', 'bank offer',
    'instant discount', 'cashback', 'cash back', 'subscribe & save', 'subscribe and save',
    'no cost emi', 'no-cost emi', 'clip ', '% off', 'last 30 days', 'letzten 30 tage',
    '30 derniers jours', 'ultimi 30 giorni', 'últimos 30 días', 'afgelopen 30 dagen', '30 dni'];
  // A text node is never a candidate when its parent is one of these or is not HTML (SVG
  // text): a parent test per node, where `closest()` per node cost milliseconds.
  const TEXT_PARENTS_SKIPPED = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEXTAREA', 'OPTION', 'OPTGROUP', 'TITLE']);
  const HTML_NS = 'http://www.w3.org/1999/xhtml';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const SCANNED_UNTESTED = 48;

  // One live collector per tab. A newer one (injected on install or update) takes over from
  // an older one, which may belong to an extension instance that no longer exists.
  const previous = globalThis.__stackSmartCollector;
  if (previous && typeof previous.stop === 'function') {
    try { previous.stop(); } catch (_) { /* an orphaned collector may already be gone */ }
    // Its badge too (stop() took it off the page): the background loads this instance's
    // badge.js with the first badge it answers.
    delete globalThis.__stackSmartBadge;
  }

  let stopped = false;
  let observer = null;
  let timer = 0;
  let lastUrl = '';
  let lastSent = '';
  let sendsForUrl = 0;
  let collectsForUrl = 0;
  // Whether this document has sent the background a snapshot: from then on every change is
  // sent (a product page left for one without a product takes its badge away).
  let talked = false;

  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    if (observer) observer.disconnect();
    observer = null;
    try { globalThis.__stackSmartBadge?.hide(); } catch (_) { /* nothing to remove */ }
  };
  // When the popup opens, the background asks for the page as it is now, so the popup never
  // shows a page this tab has left: it runs `collect()` here with scripting.executeScript.
  // Not a message listener: registering one is the extension API's first use, which costs
  // every page about a millisecond, and most pages are never sent anything.
  const collectNow = () => {
    if (stopped) return null;
    try { return collect(); } catch (_) { return null; }
  };
  globalThis.__stackSmartCollector = { stop, collect: collectNow };

  // Caps count UTF-8 bytes, as the engine checks them. Native: a JSON-LD block can be a
  // hundred kilobytes, and a loop over it in script costs milliseconds before the JIT warms up.
  const utf8 = new TextEncoder();
  const utf8Length = (s) => utf8.encode(s).length;
  function clipBytes(s, max) {
    if (s.length * 3 <= max) return s;
    let n = 0;
    let i = 0;
    for (const ch of s) {
      const c = ch.codePointAt(0);
      const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (n + size > max) break;
      n += size;
      i += ch.length;
    }
    return s.slice(0, i);
  }
  const clip = (s) => clipBytes(s, MAX_TEXT);
  const clipValue = (s) => clipBytes(s, MAX_VALUE);
  // Most short texts are already collapsed: tested first, they are not copied.
  const UNCOLLAPSED = /[^\S ]|  |^ | $/;
  const collapse = (s) => (UNCOLLAPSED.test(s) ? s.replace(/\s+/g, ' ').trim() : s);
  const textOf = (el) => collapse(el.textContent || '');
  // An element's text, or null when its raw text is over MAX_RAW_TEXT characters: reading a
  // huge container's text once per candidate would make the walk quadratic.
  let textCache = new Map();
  function boundedText(el) {
    if (textCache.has(el)) return textCache.get(el);
    const t = readBoundedText(el);
    textCache.set(el, t);
    return t;
  }
  function readBoundedText(el) {
    // Native textContent is far cheaper than walking text nodes in script; the cache above
    // keeps it to once per element per collection.
    const raw = el.textContent || '';
    return raw.length > MAX_RAW_TEXT ? null : collapse(raw);
  }

  // boundedText() for the inline-fact test, which looks at many small elements: stops
  // reading after MAX_RAW_TEXT characters instead of building a big container's whole text.
  function shortText(el) {
    if (textCache.has(el)) return textCache.get(el);
    // An element without element children holds only its own text nodes: read it natively.
    if (el.firstElementChild === null) return boundedText(el);
    let raw = '';
    let t = null;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); ; n = walker.nextNode()) {
      if (!n) { t = collapse(raw); break; }
      raw += n.data;
      if (raw.length > MAX_RAW_TEXT) break;
    }
    textCache.set(el, t);
    return t;
  }

  const attr = (el, name) => el.getAttribute(name);
  const DIGIT = /[0-9]/;
  const DIGIT_OR_COLON = /[:：0-9]/;
  const NON_ASCII = /[^\x00-\x7f]/;
  // The text walk's scans (markedTextNodes): global copies of the per-node tests.
  const DIGIT_OR_COLON_G = /[:：0-9]/g;
  // STOCK_PHRASES and OFFER_PHRASES as one pattern each, their shared prefixes merged:
  // printed by scripts/collector-patterns.mjs (a lint test checks them).
  const STOCK_G = /(?:a(?:d(?:d to (?:cart|ba(?:sket|g)|trolley|your basket)|icionar ao carrinho|aug(?:ă în coș|a in cos))|jouter au panier|ñadir al carr(?:ito|o)|g(?:regar al carr(?:ito|o)|giungi al carrello|otado)|u(?:sverkauft|f lager)|vailable)|b(?:uy (?:now|it now)|id)|in(?: (?:den warenkorb|stoc)|disponível)|d(?:o(?:daj do koszyka| košík(?:a|u)|stępny)|isponib(?:le|il))|в (?:корзину|наличии)|co(?:mprar|ntact seller)|kosárba|加入購物車|立即購買|o(?:ut of stock|tsas|stukorvi)|épuisé|rupture|e(?:s(?:aurito|gotado)|n stock)|v(?:ypredané|erfügbar)|n(?:edostupné|a sklade)|отсутствует|缺貨|售完|s(?:old|toc epuizat|klad(?:om|em))|купить|l(?:aos|ieferbar)|w magazynie)/gi;
  const OFFER_G = /(?:c(?:oupon|ash(?:back| back)|lip )|u(?:se code|ltimi 30 giorni)|promo code|voucher|bank offer|instant discount|subscribe (?:& save|and save)|no(?: cost emi|-cost emi)|% off|l(?:ast 30 days|etzten 30 tage)|30 d(?:erniers jours|ni)|últimos 30 días|afgelopen 30 dagen)/gi;
  const DIGIT_OR_COLON_MARK = 1;
  const STOCK_MARK = 2;
  const OFFER_MARK = 4;
  // `[...s].length <= max` without building the array: a code point is one or two units.
  function fits(s, max) {
    if (s.length <= max) return true;
    if (s.length > 2 * max) return false;
    let n = 0;
    for (let i = 0; i < s.length; i += 1) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) i += 1;
      }
      n += 1;
    }
    return n <= max;
  }
  // Unicode property patterns cost about a millisecond each to compile, on every page: each
  // is asked only when the ASCII-only pattern in front of it cannot answer.
  const isLetter = (c) => c !== undefined && (/[A-Za-z]/.test(c) || (c > '\x7f' && /\p{L}/u.test(c)));
  const hasAlphabetic = (s) => /[A-Za-z]/.test(s) || (NON_ASCII.test(s) && /\p{Alphabetic}/u.test(s));
  const labelWords = (s) => /^[A-Za-z.#\-/ ]+$/.test(s) || (NON_ASCII.test(s) && /^[\p{Alphabetic}.#\-/ ]+$/u.test(s));
  const isCode = (s) => /^[A-Za-z0-9\-./_]+$/.test(s) || (NON_ASCII.test(s) && /^[\p{Alphabetic}\p{N}\-./_]+$/u.test(s));

  function hasCurrency(text) {
    if (CURRENCY_SIGNS.test(text)) return true;
    const lower = text.toLowerCase();
    for (const w of CURRENCY_WORDS) {
      let i = lower.indexOf(w);
      while (i !== -1) {
        if (!isLetter(lower[i - 1]) && !isLetter(lower[i + w.length])) return true;
        i = lower.indexOf(w, i + 1);
      }
    }
    return false;
  }

  function collectMeta(snap) {
    for (const el of document.getElementsByTagName('meta')) {
      const raw = attr(el, 'property') || attr(el, 'name');
      const content = attr(el, 'content');
      if (!raw || content === null) continue;
      const key = raw.trim().toLowerCase();
      const wanted = key.startsWith('og:') || key.startsWith('product:') ||
        key.startsWith('twitter:') || ['price', 'brand', 'sku', 'gtin', 'mpn'].includes(key);
      if (!wanted) continue;
      if (snap.meta.length >= MAX_META) { snap.truncated = true; break; }
      snap.meta.push([clipValue(key), clipValue(collapse(content))]);
    }
  }

  // A property's value as the microdata standard reads it; a `content` attribute wins.
  function propValue(el, microdata) {
    const content = attr(el, 'content');
    if (content !== null) return collapse(content);
    const name = el.localName;
    let a = null;
    if (name === 'a' || name === 'area' || name === 'link') a = 'href';
    else if (['img', 'audio', 'embed', 'iframe', 'source', 'track', 'video'].includes(name)) a = 'src';
    else if (microdata && name === 'object') a = 'data';
    else if (microdata && (name === 'data' || name === 'meter')) a = 'value';
    else if (name === 'time' && el.hasAttribute('datetime')) a = 'datetime';
    else if (name === 'meta') return '';
    return a ? (attr(el, a) || '').trim() : textOf(el);
  }

  function collectItems(snap) {
    const index = new Map();
    let props = 0;
    // Most shops carry no microdata or RDFa item (25 of the 40 development pages): on those a
    // scan for a scope is cheaper than the full query, whose properties would have no owner.
    if (document.querySelector('[itemscope],[typeof]') === null) return;
    const els = document.querySelectorAll('[itemscope],[itemprop],[typeof],[property]');
    for (const el of els) {
      for (const microdata of [true, false]) {
        const scopeAttr = microdata ? 'itemscope' : 'typeof';
        const propAttr = microdata ? 'itemprop' : 'property';
        const scope = el.hasAttribute(scopeAttr);
        const names = (attr(el, propAttr) || '').trim().split(/\s+/).filter(Boolean);
        // Neither an item nor a property in this syntax: nothing to record, no owner to find.
        if (!scope && !names.length) continue;
        const ownerEl = el.parentElement && el.parentElement.closest('[' + scopeAttr + ']');
        const owner = ownerEl && index.has(ownerEl) ? index.get(ownerEl) : null;
        if (scope) {
          if (snap.items.length >= MAX_ITEMS) { snap.truncated = true; continue; }
          index.set(el, snap.items.length);
          const type = ((microdata ? attr(el, 'itemtype') : attr(el, 'typeof')) || '')
            .trim().split(/\s+/)[0] || '';
          snap.items.push({
            syntax: microdata ? 'microdata' : 'rdfa',
            type: clipValue(type),
            parent: owner,
            prop: names.length ? clipValue(names[0]) : null,
            props: [],
          });
        } else if (owner !== null && names.length) {
          const value = clipValue(propValue(el, microdata));
          for (const name of names) {
            if (props >= MAX_ITEM_PROPS) { snap.truncated = true; break; }
            props += 1;
            snap.items[owner].props.push([clipValue(name), value]);
          }
        }
      }
    }
  }

  // Whether the page may show a product: JSON-LD or an item that names a product or an offer
  // (`Product`, `ProductGroup`, `AggregateOffer`: a substring test, not a parse), a product
  // meta tag, or an element marked as a price, cart or basket. Most pages carry JSON-LD for
  // the site, its organisation or the article: that alone is no reason to walk the page.
  const PRODUCT_OR_OFFER = /Product|Offer/;
  function hasSignals(snap) {
    if (snap.json_ld.some((t) => PRODUCT_OR_OFFER.test(t)) ||
      snap.items.some((i) => PRODUCT_OR_OFFER.test(i.type))) return true;
    for (const [k, v] of snap.meta) {
      if (k.startsWith('product:') || k.startsWith('og:price') ||
        (k === 'og:type' && v.includes('product'))) return true;
    }
    return document.querySelector(SIGNAL_SELECTOR) !== null;
  }
  // Price or cart markup. Nearly every element has a class, and a case-insensitive substring
  // test of it is slow: the class words are matched as written in three casings, which costs a
  // page without any a third as much (ids and names are rare and stay case-insensitive).
  const SIGNAL_SELECTOR = ['[itemprop="price"]', '[name*="cart" i]',
    ...['price', 'cart', 'basket'].map((w) => `[id*="${w}" i]`),
    ...['price', 'Price', 'PRICE', 'cart', 'Cart', 'CART', 'basket', 'Basket', 'BASKET'].map((w) => `[class*="${w}"]`),
  ].join(',');

  function hidden(el) {
    if (el.checkVisibility) return !el.checkVisibility({ visibilityProperty: true });
    return el.getClientRects().length === 0 || getComputedStyle(el).visibility === 'hidden';
  }

  function struck(el) {
    for (let e = el, i = 0; e && i < 4; e = e.parentElement, i += 1) {
      if (['DEL', 'S', 'STRIKE'].includes(e.tagName)) return true;
      if (getComputedStyle(e).textDecorationLine.includes('line-through')) return true;
    }
    return false;
  }

  function hintOf(el) {
    const parts = [];
    for (let e = el, i = 0; e && i < 3; e = e.parentElement, i += 1) {
      for (const a of ['id', 'class', 'itemprop']) {
        const v = (attr(e, a) || '').trim();
        if (v) parts.push(v);
      }
    }
    return parts.join(' ').toLowerCase();
  }

  // The outermost ancestor (≤ MAX_CLIMB up, below <body>, none with more than MAX_CHILDREN
  // element children) whose text is at most `max` characters and, for prices, still holds
  // one number: `€` + `66` + `,75` join, a price and its "was" price stay apart.
  const BARE_NUMBER = /^[0-9][0-9.,' ]*$/;
  const numberGroups = (t) => (t.match(/[0-9](?:[.,']?[0-9])*/g) || []).length;
  function climb(start, max, oneNumber) {
    const own = boundedText(start);
    if (own === null || own.length > max) return null;
    let el = start;
    const body = document.body;
    for (let i = 0; i < MAX_CLIMB; i += 1) {
      const parent = el.parentElement;
      if (!parent || parent === body || parent.childElementCount > MAX_CHILDREN) break;
      // An offer is one list item or row, not the whole list of offers.
      if (!oneNumber && ['UL', 'OL', 'DL', 'TABLE', 'TBODY'].includes(parent.tagName)) break;
      const t = boundedText(parent);
      // A second number stops the climb, unless the element is a bare amount (`2320`)
      // still looking for its currency sign.
      if (t === null || t.length > max ||
        (oneNumber && numberGroups(t) > 1 && !BARE_NUMBER.test(boundedText(el)))) break;
      el = parent;
    }
    return el;
  }

  // `s.trim() === ''` without trimming the many texts that start with a visible character.
  const blank = (s) => {
    const c = s.charCodeAt(0);
    return s === '' || ((c <= 32 || c === 0xa0 || c >= 0x1680) && s.trim() === '');
  };
  // The text nodes under `root` (`root` itself if it is one), at most `budget.left` of them:
  // how many there are, and the few that hold a digit or colon, a stock phrase or an offer
  // word, in document order, each with its index among them all. The walk only gathers the
  // texts; three native regex scans over them joined by NUL (no pattern can match across it)
  // then mark the nodes, and only those are looked at again. Whitespace between tags (most
  // of a page's text nodes), texts over MAX_RAW_TEXT characters (their element's text is too
  // long for any candidate) and inline scripts and styles (often most of a page's text, JSON
  // state and CSS, never a candidate) are counted and not scanned. Layout is asked only for
  // the few candidates left.
  function markedTextNodes(root, budget) {
    const nodes = [];
    const parts = [];
    const starts = [];
    const index = [];
    let at = 0;
    let count = 0;
    const walker = root.nodeType === Node.ELEMENT_NODE ? document.createTreeWalker(root, NodeFilter.SHOW_TEXT) : null;
    let node = walker ? walker.nextNode() : root.nodeType === Node.TEXT_NODE ? root : null;
    for (; node; node = walker ? walker.nextNode() : null) {
      if (budget.left <= 0) { budget.spent = true; break; }
      budget.left -= 1;
      count += 1;
      const data = node.data;
      if (data.length > MAX_RAW_TEXT || blank(data) ||
        // Short texts are not worth the parent test.
        (data.length > SCANNED_UNTESTED && TEXT_PARENTS_SKIPPED.has(node.parentNode.nodeName))) continue;
      nodes.push(node);
      parts.push(data);
      starts.push(at);
      index.push(count - 1);
      at += data.length + 1;
    }
    const hits = [];
    if (!nodes.length) return { count, hits };
    const marks = new Uint8Array(nodes.length);
    const all = parts.join('\0');
    const segment = (pos) => {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= pos) lo = mid; else hi = mid - 1;
      }
      return lo;
    };
    const marked = [];
    for (const [re, bit] of [[DIGIT_OR_COLON_G, DIGIT_OR_COLON_MARK], [STOCK_G, STOCK_MARK], [OFFER_G, OFFER_MARK]]) {
      re.lastIndex = 0;
      // test(), not exec(): no match array per hit. A match never spans a NUL, so its last
      // character (lastIndex - 1) is in the same text as its first.
      while (re.test(all)) {
        const k = segment(re.lastIndex - 1);
        if (marks[k] === 0) marked.push(k);
        marks[k] |= bit;
        if (k + 1 >= starts.length) break;
        re.lastIndex = starts[k + 1];
      }
    }
    marked.sort((x, y) => x - y);
    for (const k of marked) hits.push({ node: nodes[k], data: parts[k], mark: marks[k], index: index[k] });
    return { count, hits };
  }

  // The text walk: price candidates, stock and offer texts, inline facts.
  //
  // With a heading, it reads outward from it, one ancestor at a time (the heading's text,
  // then its following siblings' subtrees in document order, then its preceding siblings'
  // nearest first, then the same around its parent, …) until it holds a price with a
  // currency sign that is not struck, and then LEVELS_AFTER_PRICE more, for the buy box and
  // offers beside the price: the product's own block is read, the rest of the page (menus,
  // footers, recommendations) is not. Without a heading it reads the whole body. `order` is the
  // signed distance in text nodes from the heading's first one, as a whole-page walk would
  // count it. Returns the element read (buy buttons are looked for there) and the inline
  // facts; the candidates are put back in document order. engine/src/html_snapshot.rs
  // (collect_texts) does the same.
  function collectTexts(snap, heading) {
    const body = document.body;
    if (!body) return { region: null, inline: [] };
    if (heading && !body.contains(heading)) heading = null;
    const budget = { left: MAX_TEXT_NODES, spent: false };
    const w = {
      priceAt: [], stockAt: [], offerAt: [], inline: [],
      seenPrices: new Set(), seenOffers: new Set(), seenStock: new Set(), seenInline: new Set(),
      priced: false,
    };
    const headingTop = heading ? heading.getBoundingClientRect().top : 0;
    // Reads one block; `orderOf(i, n)` is the order of its i-th of n text nodes. False once
    // the budget is spent.
    const read = (root, orderOf, positionOf) => {
      const { count, hits } = markedTextNodes(root, budget);
      for (const h of hits) {
        visitText(snap, w, heading, headingTop, h.node, h.data, h.mark, orderOf(h.index, count), positionOf(h.index, count));
      }
      if (budget.spent) snap.truncated = true;
      return budget.spent ? -1 : count;
    };
    let region = body;
    if (!heading) {
      read(body, () => null, (i) => i);
    } else {
      region = walkOutward(heading, body, w, (root, orderOf) => read(root, orderOf, orderOf));
    }
    const inOrder = (items, at) => {
      const keyed = items.map((v, i) => [at[i], v]);
      keyed.sort((x, y) => x[0] - y[0]);
      return keyed.map(([, v]) => v);
    };
    snap.prices = inOrder(snap.prices, w.priceAt);
    snap.stock = inOrder(snap.stock, w.stockAt);
    snap.offers = inOrder(snap.offers, w.offerAt);
    w.inline.sort((x, y) => x[0] - y[0]);
    return { region, inline: w.inline.map(([, f]) => f) };
  }

  function walkOutward(heading, body, w, read) {
    let lo = 0;
    let hi = read(heading, (i) => i);
    if (hi < 0) return heading;
    let region = heading;
    let margin = LEVELS_AFTER_PRICE;
    while (region !== body) {
      if (w.priced) {
        if (margin === 0) break;
        margin -= 1;
      }
      const parent = region.parentElement;
      if (!parent) break;
      for (let s = region.nextSibling; s; s = s.nextSibling) {
        const base = hi;
        const n = read(s, (i) => base + i);
        if (n < 0) return parent;
        hi += n;
      }
      for (let s = region.previousSibling; s; s = s.previousSibling) {
        const base = lo;
        const n = read(s, (i, m) => -(base + m - i));
        if (n < 0) return parent;
        lo += n;
      }
      region = parent;
    }
    return region;
  }

  // One marked text node of the walk; `at` is its place in the document, for the order.
  function visitText(snap, w, heading, headingTop, node, data, mark, order, at) {
    const parent = node.parentElement;
    // Script, style and SVG text: never a candidate, whatever it says.
    if (!parent || TEXT_PARENTS_SKIPPED.has(parent.tagName) || parent.namespaceURI !== HTML_NS) return;
    // Text nodes over MAX_SHORT_NODE raw characters are never price or stock candidates,
    // so long paragraphs are not collapsed just to be measured.
    const short = data.length <= MAX_SHORT_NODE;
    const priced = short && (mark & DIGIT_OR_COLON_MARK) !== 0 && snap.prices.length < MAX_PRICES &&
      DIGIT.test(data) && (data.length <= MAX_PRICE_TEXT || collapse(data).length <= MAX_PRICE_TEXT);
    const offered = (mark & OFFER_MARK) !== 0 && snap.offers.length < MAX_TEXTS;
    const stocky = short && (mark & STOCK_MARK) !== 0 && snap.stock.length < MAX_TEXTS &&
      (data.length <= MAX_STOCK_TEXT || collapse(data).length <= MAX_STOCK_TEXT);
    const factual = short && (mark & DIGIT_OR_COLON_MARK) !== 0 && w.inline.length < MAX_INLINE_FACTS &&
      (data.length <= MAX_INLINE_FACT_TEXT || fits(collapse(data), MAX_INLINE_FACT_TEXT));
    // Text inside noscript or an svg icon (HTML in its foreignObject) is not page text; the
    // ancestor test runs for the few candidates only.
    if (!(priced || offered || stocky || factual) || parent.closest('noscript, svg') !== null) return;
    if (stocky) {
      // The notice as its element shows it, else the text itself.
      const own = boundedText(parent);
      const t = own !== null && own.length <= MAX_STOCK_TEXT ? own : collapse(data);
      if (t && !w.seenStock.has(t) && !hidden(parent)) {
        w.seenStock.add(t);
        w.stockAt.push(at);
        snap.stock.push(clipValue(t));
      }
    }
    if (priced) {
      const el = climb(parent, MAX_PRICE_TEXT, true);
      if (el && !w.seenPrices.has(el)) {
        w.seenPrices.add(el);
        const t = boundedText(el);
        const hint = hintOf(el);
        const currency = hasCurrency(t);
        if ((currency || PRICE_HINTS.some((x) => hint.includes(x))) && !hidden(el)) {
          const style = getComputedStyle(el);
          const isStruck = struck(el);
          if (currency && !isStruck) w.priced = true;
          w.priceAt.push(at);
          snap.prices.push({
            text: clipValue(t),
            hint: clipValue(hint),
            struck: isStruck,
            size: parseFloat(style.fontSize) || null,
            from_heading: heading ? el.getBoundingClientRect().top - headingTop : null,
            order,
          });
        }
      }
    }
    if (factual && !w.seenInline.has(parent)) {
      w.seenInline.add(parent);
      if (parent.childElementCount <= MAX_CHILDREN && !withinMenu(parent)) {
        const t = shortText(parent);
        const fact = t !== null && fits(t, MAX_INLINE_FACT_TEXT) ? inlineFact(t, () => nextText(parent)) : null;
        if (fact && !hidden(parent)) w.inline.push([at, fact]);
      }
    }
    if (offered) {
      const el = climb(parent, MAX_OFFER_TEXT, false);
      if (el) {
        const t = boundedText(el); // climb() read it already: cached
        if (!w.seenOffers.has(t) && !hidden(el)) { w.seenOffers.add(t); w.offerAt.push(at); snap.offers.push(clipValue(t)); }
      }
    }
  }

  function nextText(el) {
    const next = el.nextElementSibling;
    const t = next ? shortText(next) : null;
    return t !== null && fits(t, MAX_INLINE_FACT_TEXT) ? t : null;
  }

  // `Label: value` (nothing after the colon: the next element's text, as in
  // `<b>Model:</b> <span>X1</span>` or a label cell beside its value cell), else `Label CODE`:
  // one to three words of letters, then one code with a digit (`SKU MKI6IKW1N4`). Shops print
  // codes and brands this way outside tables; the engine keeps only the labels it knows.
  function inlineFact(t, next) {
    const colon = /[:：]/.exec(t);
    if (colon) {
      const label = t.slice(0, colon.index).trim();
      const value = t.slice(colon.index + 1).trim() || next();
      const ok = value && fits(label, MAX_INLINE_LABEL) && hasAlphabetic(label) &&
        fits(value, MAX_INLINE_FACT_TEXT);
      return ok ? [label, value] : null;
    }
    const at = t.lastIndexOf(' ');
    if (at === -1) return null;
    const label = t.slice(0, at);
    const value = t.slice(at + 1).replace(/^#+/, '');
    const ok = fits(label, 30) && label.split(' ').length <= 3 &&
      hasAlphabetic(label) && labelWords(label) &&
      !fits(value, 2) && isCode(value) && /[0-9]/.test(value);
    return ok ? [label, value] : null;
  }

  // Inline facts after the table facts, each pair once, within the facts cap.
  function appendInlineFacts(snap, inline) {
    for (const [k, v] of inline) {
      if (snap.facts.length >= MAX_FACTS) break;
      const pair = [clipValue(k), clipValue(v)];
      if (!snap.facts.some(([a, b]) => a === pair[0] && b === pair[1])) snap.facts.push(pair);
    }
  }

  // Elements under a subtree whose text is not shown. Of the skipped tags only noscript (with
  // scripting off) and svg can hold parsed HTML elements, and inside svg only its HTML
  // integration points (foreignObject, title, desc) can: the parser moves any other HTML tag
  // out of it. Pages have few of them: one query per collection for the facts and the
  // buttons, instead of an ancestor walk per element.
  const SKIPPABLE = 'dt, tr, li, p, button, input[type="submit" i]';
  let skippedCache = null;
  function skipped() {
    if (skippedCache) return skippedCache;
    skippedCache = new Set();
    // By tag name (natively indexed), not a selector with descendant combinators that every
    // element of the page would be tested against.
    for (const tag of ['noscript', 'foreignObject', 'title', 'desc']) {
      for (const c of document.getElementsByTagName(tag)) {
        if (tag !== 'noscript' && (c.namespaceURI !== SVG_NS || !c.closest('svg'))) continue;
        for (const el of c.querySelectorAll(SKIPPABLE)) skippedCache.add(el);
      }
    }
    return skippedCache;
  }

  // boundedText() for a list item, or null when its raw text has neither `:` nor `-`.
  function factText(el) {
    if (textCache.has(el)) return textCache.get(el);
    const raw = el.textContent || '';
    if (raw.length > MAX_RAW_TEXT) { textCache.set(el, null); return null; }
    if (raw.indexOf(':') === -1 && raw.indexOf('-') === -1) return null;
    const t = collapse(raw);
    textCache.set(el, t);
    return t;
  }

  // Menus' entries (a site's navigation holds hundreds) are no details.
  const MENU_ROLES = ['navigation', 'menu', 'menubar'];
  const isMenu = (e) => {
    if (e.localName === 'nav') return true;
    const role = attr(e, 'role');
    return role !== null && MENU_ROLES.includes(role.toLowerCase());
  };
  // Whether `el` is in a menu (`nav`, or a navigation, menu or menubar role), asked per
  // candidate: `nav, [role]` matches each ancestor fast, where a selector with the
  // case-insensitive role values cost every ancestor three slow compares.
  function withinMenu(el) {
    for (let e = el.closest('nav, [role]'); e; e = e.parentElement && e.parentElement.closest('nav, [role]')) {
      if (isMenu(e)) return true;
    }
    return false;
  }
  // withinMenu() for the facts pass's list items, which share a few parents: each parent is
  // asked once per collection. One query for the menus of everything after the heading cost
  // more than all the list items the pass looks at.
  let menuCache = new Map();
  function listItemInMenu(li) {
    if (isMenu(li)) return true;
    const parent = li.parentElement;
    if (!parent) return false;
    let known = menuCache.get(parent);
    if (known === undefined) {
      known = withinMenu(parent);
      menuCache.set(parent, known);
    }
    return known;
  }
  const FACT_ELEMENTS = 'dt, tr, li, p';
  // The part of the page after `heading` in document order, as subtrees in that order: the
  // heading's own, then the following siblings of it and of each of its ancestors. The whole
  // document without a heading.
  function subtreesAfter(heading) {
    if (!heading) return [document.documentElement];
    const roots = [heading];
    for (let e = heading; e; e = e.parentElement) {
      for (let s = e.nextElementSibling; s; s = s.nextElementSibling) roots.push(s);
    }
    return roots;
  }
  // Label/value pairs of details tables and lists: <dt>/<dd>, two-cell rows, rows of two or
  // three label/value pairs whose labels end in a colon (`Brand: | X | Colour: | Y`), list
  // items that read `Label: value` or `Label - value`, and paragraphs that hold an inline fact.
  // Only those after the main heading: what precedes the product's title is the site's
  // header, its menus and the trail, which hold half of the development pages' list items and
  // none of their facts. Each subtree is queried natively; the part before is never touched.
  function collectFacts(snap, heading) {
    let looked = 0;
    const push = (k, v) => {
      if (snap.facts.length < MAX_FACTS && k && v && fits(k, MAX_FACT_TEXT)) snap.facts.push([clipValue(k), clipValue(v)]);
    };
    for (const root of subtreesAfter(heading)) {
      for (const list of [root.matches(FACT_ELEMENTS) ? [root] : [], root.querySelectorAll(FACT_ELEMENTS)]) {
        for (const el of list) {
          if (el.localName === 'li' && listItemInMenu(el)) continue;
          looked += 1;
          if (looked > MAX_FACT_ELEMENTS || snap.facts.length >= MAX_FACTS) {
            if (looked > MAX_FACT_ELEMENTS) snap.truncated = true;
            return;
          }
          fact(el, push);
        }
      }
    }
  }
  // One details element's pairs, handed to `push`.
  function fact(el, push) {
    if (skipped().has(el)) return;
    if (el.localName === 'dt') {
      const dd = el.nextElementSibling;
      if (dd && dd.localName === 'dd') push(boundedText(el), boundedText(dd));
    } else if (el.localName === 'tr') {
      const cells = [];
      for (let c = el.firstElementChild; c && cells.length <= MAX_ROW_CELLS; c = c.nextElementSibling) {
        if (c.localName === 'td' || c.localName === 'th') cells.push(c);
      }
      if (cells.length === 2) {
        push(boundedText(cells[0]), boundedText(cells[1]));
      } else if (cells.length % 2 === 0 && cells.length <= MAX_ROW_CELLS) {
        for (let i = 0; i < cells.length; i += 2) {
          const k = boundedText(cells[i]);
          const v = boundedText(cells[i + 1]);
          if (k !== null && v !== null && /[:：]$/.test(k)) push(k.slice(0, -1).trim(), v);
        }
      }
    } else if (el.childElementCount > MAX_CHILDREN) {
      // A list item holding a menu is no fact.
    } else if (el.localName === 'p') {
      // A paragraph is read as an inline fact (`Product code: 141677`, `SKU X1`), as the
      // text walk reads short elements in the product's block: the description and details
      // below it are outside that block.
      // Most paragraphs are prose: one native read, and no fact without a colon or digit.
      const raw = el.textContent || '';
      if (raw.length > MAX_RAW_TEXT || !DIGIT_OR_COLON.test(raw)) return;
      const t = collapse(raw);
      const pair = fits(t, MAX_INLINE_FACT_TEXT) ? inlineFact(t, () => nextText(el)) : null;
      if (pair && !hidden(el)) push(pair[0], pair[1]);
    } else {
      // `Label: value`, else `Label - value`. Most
      // list items are neither: their text is not collapsed just to find that out.
      const t = factText(el);
      let at = t === null ? -1 : t.indexOf(':');
      let sep = 1;
      if (t !== null && at === -1) { at = t.indexOf(' - '); sep = 3; }
      if (at !== -1 && fits(t, MAX_FACT_TEXT)) push(t.slice(0, at).trim(), t.slice(at + sep).trim());
    }
  }

  // The breadcrumb trail (`Home › Phones › Apple`): the entries of the first visible element
  // marked as one (aria-label, class or id holding `breadcrumb` in any case, and `rumb` as
  // written) that shows at least two, read as its list items, else its links; separators
  // (`›`, `/`) are no entries. At most MAX_TRAILS elements are tried: the class also marks a
  // trail's own items. A schema.org trail in the items is the engine's first choice and
  // stops this search before it starts. The selector is case-sensitive on a part of the word
  // (`Breadcrumb`, `breadCrumb`): a case-insensitive one scans the page 2–3 times slower.
  const TRAILS = '[aria-label*="rumb"], [class*="rumb"], [id*="rumb"]';
  const TRAIL_ATTRS = ['aria-label', 'class', 'id'];
  const isTrail = (el) => TRAIL_ATTRS.some((a) => {
    const v = attr(el, a);
    return v !== null && v.includes('rumb') && /breadcrumb/i.test(v);
  });
  const SEPARATOR = /^[\s/\\|>›»·•→-]*$/;
  function structuredTrail(snap) {
    return snap.json_ld.some((t) => t.includes('BreadcrumbList')) ||
      snap.items.some((i) => i.type.includes('BreadcrumbList'));
  }
  function collectBreadcrumbs(snap) {
    // The first trail alone, natively: the selector costs a scan of every element, and
    // querySelector stops at the trail, which is usually near the top of the page.
    const first = document.querySelector(TRAILS);
    if (!first) return;
    const firstIsTrail = isTrail(first);
    if (firstIsTrail && readTrail(snap, first)) return;
    let tried = firstIsTrail ? 1 : 0;
    for (const trail of document.querySelectorAll(TRAILS)) {
      if (trail === first || !isTrail(trail)) continue;
      if (++tried > MAX_TRAILS || readTrail(snap, trail)) return;
    }
  }
  function readTrail(snap, trail) {
    let entries = trail.getElementsByTagName('li');
    if (entries.length === 0) entries = trail.getElementsByTagName('a');
    const crumbs = [];
    for (const e of entries) {
      if (crumbs.length >= MAX_CRUMBS) break;
      const t = boundedText(e);
      if (t !== null && t.length <= MAX_CRUMB_TEXT && !SEPARATOR.test(t)) crumbs.push(clipValue(t));
    }
    if (crumbs.length < 2 || hidden(trail)) return false;
    snap.breadcrumbs = crumbs;
    return true;
  }

  // `region.querySelectorAll('button, input[type="submit" i]')`, cheaper: the buttons from
  // the tag index, the rare submit inputs merged into document order when there are any.
  function buttonsIn(region) {
    const buttons = region.getElementsByTagName('button');
    // Only inputs are tested for the type: a scan as cheap as the tag's (forms hold many
    // hidden inputs, each a wrapper and a call if read in script).
    const submits = region.querySelectorAll('input[type="submit" i]');
    if (!submits.length) return buttons;
    const all = [...buttons, ...submits];
    return all.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  }

  // Buy buttons in the part of the page the text walk read, after the stock notices it found.
  function collectButtons(snap, region) {
    const seen = new Set(snap.stock);
    for (const el of buttonsIn(region)) {
      if (snap.stock.length >= MAX_TEXTS) break;
      if (el.hasAttribute('disabled')) continue;
      const t = el.localName === 'input' ? collapse(attr(el, 'value') || '') : boundedText(el);
      if (!t || t.length > MAX_STOCK_TEXT || seen.has(t) || skipped().has(el) || hidden(el)) continue;
      seen.add(t);
      snap.stock.push(clipValue(t));
    }
  }

  function collect() {
    const started = performance.now();
    textCache = new Map();
    menuCache = new Map();
    skippedCache = null;
    const snap = read();
    textCache = new Map();
    menuCache = new Map();
    skippedCache = null;
    snap.cost_ms = Math.round((performance.now() - started) * 1000) / 1000;
    return snap;
  }

  function read() {
    let truncated = false;
    let total = 0;
    const jsonLd = [];
    const scripts = document.querySelectorAll('script[type="application/ld+json" i]');
    for (const script of scripts) {
      if (jsonLd.length >= MAX_BLOCKS) { truncated = true; break; }
      const text = script.textContent || '';
      const bytes = NON_ASCII.test(text) ? utf8Length(text) : text.length;
      if (bytes > MAX_BLOCK_BYTES || total + bytes > MAX_TOTAL_BYTES) {
        truncated = true;
        continue;
      }
      total += bytes;
      jsonLd.push(text);
    }
    const canonical = document.querySelector('link[rel~="canonical" i][href]');
    const lang = document.documentElement.getAttribute('lang');
    const snap = {
      version: 2,
      url: clip(location.href),
      title: clip(document.title || ''),
      lang: lang ? clip(lang) : null,
      canonical_url: canonical ? clip(canonical.href) : null,
      json_ld: jsonLd,
      truncated,
      meta: [],
      items: [],
      heading: null,
      breadcrumbs: [],
      prices: [],
      facts: [],
      stock: [],
      offers: [],
      signals: true,
      cost_ms: null,
    };
    collectMeta(snap);
    collectItems(snap);
    snap.signals = hasSignals(snap);
    if (!snap.signals) return snap;
    let heading = null;
    for (const h of document.getElementsByTagName('h1')) {
      if (!h.closest('template') && !hidden(h) && textOf(h)) { heading = h; break; }
    }
    snap.heading = heading ? clipValue(textOf(heading)) : null;
    const { region, inline } = collectTexts(snap, heading);
    collectFacts(snap, heading);
    appendInlineFacts(snap, inline);
    if (region) collectButtons(snap, region);
    // The engine takes a schema.org trail before the visible one: no need to look for it.
    if (!structuredTrail(snap)) collectBreadcrumbs(snap);
    return snap;
  }

  function send() {
    if (stopped) return;
    const snapshot = collect();
    if (snapshot.url !== lastUrl) { lastUrl = snapshot.url; sendsForUrl = 0; collectsForUrl = 0; lastSent = ''; }
    collectsForUrl += 1;
    // A page without any sign of a product (most of the web) is not sent: the background
    // would only learn there is none, and the extension API is never touched here.
    if (!snapshot.signals && !talked) return;
    // The extension was updated or removed: this collector is orphaned and stops quietly.
    if (!globalThis.chrome || !chrome.runtime || !chrome.runtime.id) { stop(); return; }
    // Resend when what the page says changed (a late-rendered price, a variant picked).
    const key = JSON.stringify([snapshot.title, snapshot.json_ld, snapshot.items,
      snapshot.prices.map((p) => p.text), snapshot.stock]);
    if (key === lastSent || sendsForUrl >= SENDS_PER_URL) return;
    lastSent = key;
    sendsForUrl += 1;
    talked = true;
    try {
      // Most pages never show a badge: the background loads badge.js into the tab with the
      // first one, so it is told whether this tab has it.
      chrome.runtime.sendMessage({ type: 'page_snapshot', snapshot, badge_loaded: Boolean(globalThis.__stackSmartBadge) })
        .then((answer) => badge(answer, snapshot.url), stopIfOrphaned);
    } catch (error) {
      stopIfOrphaned(error);
    }
  }

  // The background's answer says what the in-page badge shows (badge.js draws it; the
  // background has loaded it by the time a badge to show arrives).
  function badge(answer, url) {
    const b = globalThis.__stackSmartBadge;
    if (stopped || !b || !answer || answer.type !== 'snapshot_accepted') return;
    try {
      if (answer.badge) b.show(answer.badge, url); else b.hide();
    } catch (_) { /* the badge is a nicety; the page must not notice a failure */ }
  }

  function badgeOnly(record) {
    const b = globalThis.__stackSmartBadge;
    const nodes = [...record.addedNodes, ...record.removedNodes];
    return Boolean(b) && nodes.length > 0 && nodes.every((n) => b.owns(n));
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
    // The first look waits for the page's idle time (at most FIRST_LOOK_MS): at document idle
    // a shop is often still hydrating, and the collection should not lengthen that task.
    if (typeof requestIdleCallback === 'function') {
      requestIdleCallback(() => { try { send(); } catch (_) { stop(); } }, { timeout: FIRST_LOOK_MS });
    } else {
      send();
    }
    // Single-page shops change the URL and render prices late: look again, debounced, at
    // most SENDS_PER_URL times per address (identical snapshots are not resent) and after at
    // most COLLECTS_PER_URL collections.
    observer = new MutationObserver((records) => {
      if (records.every(badgeOnly)) return; // drawing the badge is not a page change
      if (location.href !== lastUrl ||
        (sendsForUrl < SENDS_PER_URL && collectsForUrl < COLLECTS_PER_URL)) schedule();
    });
    observer.observe(document.documentElement, { childList: true, subtree: true });
  } catch (_) {
    stop();
  }
})();
