// Facts about pages as a keyboard, a phone and a dark scheme meet them, gathered by
// Playwright (`playwright-core`) in Debian's Chromium. It asserts nothing: the Rust
// tests that run it (common/playwright.rs) do, on the JSON it prints.
//
// Input (argv[2], JSON): { "pages": [{"name", "url"}], "shots": DIR,
//   "filter": URL of the findings page (optional), "copy": URL of a finding (optional) }
// Environment: PLAYWRIGHT_CORE (the package's directory), CHROMIUM (its executable),
// CHROMIUM_FLAGS (JSON list).
'use strict';
const { chromium } = require(process.env.PLAYWRIGHT_CORE);
const plan = JSON.parse(process.argv[2]);
const flags = JSON.parse(process.env.CHROMIUM_FLAGS);

// Runs in the page: the lowest contrast of any shown text against what is behind it
// (WCAG 2 relative luminance), and whether the page is wider than its viewport.
function pageFacts() {
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c;
    }
    return rgb(getComputedStyle(document.documentElement).backgroundColor || 'rgb(255,255,255)');
  };
  // Rendered and visible: not inside a closed <details>, not `display: none` or `visibility: hidden`.
  const shown = (e) => e.checkVisibility({ visibilityProperty: true });
  let worst = null;
  let texts = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg')) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join(' ');
    if (!own || !shown(el)) continue;
    texts++;
    const fg = lum(rgb(getComputedStyle(el).color));
    const bg = lum(behind(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (!worst || ratio < worst.ratio) worst = { ratio, text: own.slice(0, 60), tag: el.tagName.toLowerCase() };
  }
  return {
    texts,
    worst_contrast: worst,
    background_luminance: lum(behind(document.body)),
    scroll_width: document.documentElement.scrollWidth,
    viewport_width: window.innerWidth,
    focusable: [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')].filter(
      (e) => e.tabIndex >= 0 && !e.disabled && shown(e)
    ).length,
  };
}

// Runs in the page: the focused element, or null when focus left the page.
function focused() {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const cs = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  return {
    index: [...document.querySelectorAll('*')].indexOf(e),
    tag: e.tagName.toLowerCase(),
    name: e.getAttribute('name') || '',
    type: e.getAttribute('type') || '',
    text: (e.innerText || e.value || '').trim().slice(0, 60),
    in_main: e.closest('main') !== null,
    indicated: (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none',
    in_view: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
  };
}

async function tab(page) {
  await page.keyboard.press('Tab');
  return page.evaluate(focused);
}

// Every stop of Tab from the top of the page until focus leaves it or comes round again.
async function tabWalk(page) {
  const stops = [];
  for (let i = 0; i < 600; i++) {
    const s = await tab(page);
    if (!s || (stops.length && s.index === stops[0].index)) break;
    stops.push(s);
  }
  return stops;
}

// Tab until `want(stop)`; the stop, or null.
async function tabTo(page, want) {
  for (let i = 0; i < 200; i++) {
    const s = await tab(page);
    if (!s) return null;
    if (want(s)) return s;
  }
  return null;
}

function watch(page, out) {
  page.on('console', (m) => out.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => out.console.push(`pageerror: ${e.message}`));
  page.on('request', (r) => out.requests.push(r.url()));
}

// Keyboard only: choose severity `high` in the filter form, submit it, then sort by the
// cost column's header link.
async function filterByKeyboard(context, url) {
  const page = await context.newPage();
  const out = { console: [], requests: [] };
  watch(page, out);
  await page.goto(url);
  const select = await tabTo(page, (s) => s.tag === 'select' && s.name === 'severity');
  if (!select) return { error: 'Tab never reached the severity filter' };
  // A closed select moves to its next option with ArrowDown: any -> critical -> high.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const submit = await tabTo(page, (s) => s.tag === 'button' && s.type === 'submit');
  if (!submit) return { error: 'Tab never reached the filter button' };
  await Promise.all([page.waitForURL((u) => u.href !== url), page.keyboard.press('Enter')]);
  const filtered = { url: page.url(), severities: await page.$$eval('tr.finding', (rows) => rows.map((r) => r.dataset.severity)) };
  const header = await tabTo(page, (s) => s.tag === 'a' && s.text.startsWith('$/h'));
  if (!header) return { error: 'Tab never reached the cost column header', filtered };
  const before = page.url();
  await Promise.all([page.waitForURL((u) => u.href !== before), page.keyboard.press('Enter')]);
  const sorted = {
    url: page.url(),
    severities: await page.$$eval('tr.finding', (rows) => rows.map((r) => r.dataset.severity)),
    costs: await page.$$eval('tr.finding td.num', (cells) => cells.map((c) => Number(c.textContent))),
    aria_sort: await page.$$eval('th[aria-sort]', (ths) => ths.map((t) => [t.innerText.trim(), t.getAttribute('aria-sort')])),
  };
  await page.close();
  return { filtered, sorted, ...out };
}

// Keyboard only: the first copy button, pressed with Enter; what the clipboard then holds.
async function copyByKeyboard(context, url) {
  const page = await context.newPage();
  const out = { console: [], requests: [] };
  watch(page, out);
  await page.goto(url);
  const buttons = await page.$$eval('button.copy', (bs) => bs.map((b) => getComputedStyle(b).display !== 'none' && !b.hidden));
  const button = await tabTo(page, (s) => s.tag === 'button' && s.text === 'Copy');
  let copied = null;
  let label = null;
  if (button) {
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement.textContent === 'Copied', null, { timeout: 5000 }).catch(() => {});
    label = await page.evaluate(() => document.activeElement.textContent);
    copied = await page.evaluate(() => navigator.clipboard.readText());
  }
  const command = await page.$eval('#command-0', (e) => e.textContent).catch(() => null);
  await page.close();
  return { buttons_shown: buttons, reached: !!button, label, copied, command, ...out };
}

// The first stop, and where focus is once Enter is pressed on it.
async function skipLink(page) {
  const first = await tab(page);
  await page.keyboard.press('Enter');
  const then = await page.evaluate(focused);
  return { first, then };
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: flags });
  const result = { browser: browser.version(), pages: {} };
  const desktop = { viewport: { width: 1280, height: 800 } };
  const schemes = {
    light: await browser.newContext({ ...desktop, colorScheme: 'light' }),
    dark: await browser.newContext({ ...desktop, colorScheme: 'dark' }),
  };
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'light',
  });
  for (const { name, url } of plan.pages) {
    const facts = { console: [], requests: [] };
    for (const [scheme, context] of Object.entries(schemes)) {
      const page = await context.newPage();
      watch(page, facts);
      await page.goto(url);
      facts[scheme] = await page.evaluate(pageFacts);
      if (scheme === 'light') {
        facts.tab_stops = await tabWalk(page);
        await page.goto(url);
        facts.skip = await skipLink(page);
      } else {
        await page.screenshot({ path: `${plan.shots}/${name}-dark.png`, fullPage: true });
      }
      await page.close();
    }
    const page = await phone.newPage();
    watch(page, facts);
    await page.goto(url);
    facts.phone = await page.evaluate(pageFacts);
    await page.screenshot({ path: `${plan.shots}/${name}-phone.png`, fullPage: true });
    await page.close();
    result.pages[name] = facts;
  }
  if (plan.filter) {
    result.filter = await filterByKeyboard(schemes.light, plan.filter);
    const noScript = await browser.newContext({ ...desktop, javaScriptEnabled: false });
    result.filter_without_script = await filterByKeyboard(noScript, plan.filter);
    if (plan.copy) {
      const page = await noScript.newPage();
      await page.goto(plan.copy);
      result.copy_buttons_without_script = await page.$$eval('button.copy', (bs) => bs.map((b) => getComputedStyle(b).display !== 'none' && !b.hidden));
      await page.close();
    }
  }
  if (plan.copy) {
    const origin = new URL(plan.copy).origin;
    const context = await browser.newContext({ ...desktop, permissions: ['clipboard-read', 'clipboard-write'] });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    result.copy = await copyByKeyboard(context, plan.copy);
  }
  await browser.close();
  process.stdout.write(JSON.stringify(result));
})().catch((e) => {
  process.stderr.write(String(e && e.stack || e));
  process.exit(1);
});
