/**
 * The browser app end to end: the real backends, web-bff and web-app processes (fleet harness, wired as `make dev`
 * wires them) driven in headless Chromium — sign in with a locally signed token, order, and watch the order live over
 * the web BFF's WebSocket. Needs `npx tsc -b` first; installs Debian's chromium when missing (support/chromium.ts).
 */
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureChromium, launchChromium, type HeadlessChromium } from './support/chromium';
import { startFleet, type Fleet } from './support/fleet';

const BACKENDS = ['consumer', 'restaurant', 'order', 'kitchen', 'delivery', 'accounting'];
// One state every 400 ms: APPROVED → … → DELIVERED in 1.6 s, slow enough to see each state arrive on its own.
const TIMINGS = {
  ORDER_STEP_TIME: '400ms',
  KITCHEN_PREP_TIME: '800ms',
  DELIVERY_PICKUP_TIME: '1200ms',
  DELIVERY_TRAVEL_TIME: '400ms',
  COURIER_LOCATION_EVERY: '100ms',
};
const LIFECYCLE = ['APPROVED', 'PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'DELIVERED'];
const STEP_TIMEOUT_MS = 5_000;

// The page's globals, typed just enough for the functions run in it (tests compile without the DOM library).
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
}
interface PageGlobals {
  document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): Iterable<PageElement> & { length: number } };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: { childList: boolean }): void };
  performance: { now(): number };
  stateTimes?: Record<string, number>;
}

/** The states the progress list shows, top to bottom. */
function shownStates(page: Page): Promise<string[]> {
  return page.locator('#progress li').evaluateAll((items) => items.map((li) => (li as unknown as PageElement).dataset.state ?? ''));
}

describe('web-app in headless Chromium (real backends, web-bff and web-app processes)', function () {
  this.timeout(30_000);
  let fleet: Fleet | undefined;
  let browser: HeadlessChromium | undefined;
  let page: Page;
  let sign: (sub: string, secret?: string) => string;
  const pageErrors: string[] = [];
  const screenshots = mkdtempSync(join(tmpdir(), 'portico-web-app-'));

  before(async function () {
    // A first run on a fresh machine installs chromium with apt-get (bounded in support/chromium.ts).
    this.timeout(10 * 60_000);
    const local = await import('../../scripts/local-dev.mjs');
    sign = (sub, secret = local.LOCAL_JWT_SECRET) =>
      jwt.sign({ scope: 'orders:read orders:write', roles: ['consumer'] }, secret, {
        algorithm: 'HS256',
        issuer: local.LOCAL_JWT_ISSUER,
        audience: 'web',
        subject: sub,
        expiresIn: 600,
      });
    await ensureChromium();
    const [started, launched] = await Promise.allSettled([startFleet({ services: [...BACKENDS, 'web-bff', 'web-app'], env: TIMINGS }), launchChromium()]);
    if (started.status === 'fulfilled') fleet = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    page = await browser!.context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  after(async () => {
    await browser?.close();
    await fleet?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet) console.error(fleet.dump());
  });

  async function openApp(): Promise<void> {
    await page.goto(fleet!.url('web-app'));
    await page.locator('body[data-ready="true"]').waitFor();
  }

  async function signIn(token: string): Promise<void> {
    await page.getByLabel('Local development token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('shows a clear error and no restaurants when the token is forged', async () => {
    await openApp();
    await signIn(sign('c-1001', 'forged-secret-that-is-long-enough-for-hs256!'));
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible' });
    expect(await alert.textContent()).to.match(/^Sign-in failed: the web BFF refused this token \(401 .+\)\. Create a new one with npm run -s token/);
    expect(await page.locator('#restaurants').isHidden()).to.equal(true);
    expect(await page.locator('#sign-in-form').isVisible()).to.equal(true);
    await page.screenshot({ path: join(screenshots, 'web-app-forged-token.png'), fullPage: true });
  });

  it('signs in, lists the three restaurants, places an order and shows each state in order as it happens, until DELIVERED', async () => {
    await openApp();
    await signIn(sign('c-1001'));
    await expectText(page, '#signed-in-as', 'Signed in as c-1001.');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('#restaurant-list li').length === 3);
    expect(await page.locator('#restaurant-list button').allTextContents()).to.deep.equal(['Ajanta', 'Bella Napoli', 'Sakura']);

    await page.getByRole('button', { name: 'Ajanta' }).click();
    await expectText(page, '#menu-heading', 'Menu of Ajanta');
    await page.getByLabel('Chicken Vindaloo').fill('2');
    await page.getByLabel('Garlic Naan').fill('1');
    // Record when each state reaches the page, in the page's own clock, to tell live arrival from a batch at the end.
    await page.evaluate(() => {
      const win = globalThis as unknown as PageGlobals;
      const seen: Record<string, number> = {};
      win.stateTimes = seen;
      new win.MutationObserver(() => {
        for (const li of win.document.querySelectorAll('#progress li')) seen[li.dataset.state ?? ''] ??= win.performance.now();
      }).observe(win.document.querySelector('#progress'), { childList: true });
    });
    await page.getByRole('button', { name: 'Place order' }).click();
    await expectText(page, '#order-summary', '3 items from Ajanta, $28.50, to 10 Main St, Oakland.');

    for (const [i, state] of LIFECYCLE.entries()) {
      await page.locator(`#progress li[data-state="${state}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
      const shown = await shownStates(page);
      expect(shown.length, `after ${state}`).to.be.at.least(i + 1);
      expect(shown, `after ${state}`).to.deep.equal(LIFECYCLE.slice(0, shown.length));
    }
    const times = await page.evaluate(() => (globalThis as unknown as PageGlobals).stateTimes ?? {});
    const arrivals = LIFECYCLE.map((state) => times[state] as number);
    expect(
      arrivals.every((t, i) => i === 0 || t > (arrivals[i - 1] as number)),
      `arrivals ${JSON.stringify(times)}`,
    ).to.equal(true);
    // Four steps of 400 ms: states that arrive live are spread over well over a second.
    expect((arrivals[4] as number) - (arrivals[0] as number)).to.be.greaterThan(1000);

    expect(await page.locator('#courier li').count()).to.be.at.least(1);
    expect(await page.locator('#courier li').first().textContent()).to.match(/^-?\d+\.\d{4}, -?\d+\.\d{4}/);
    await expectText(page, '#live-status', 'Live updates: the order is complete');
    expect(await page.locator('#progress').getAttribute('aria-live')).to.equal('polite');
    expect(await page.getByRole('alert').isHidden()).to.equal(true);
    expect(pageErrors).to.deep.equal([]);

    await page.screenshot({ path: join(screenshots, 'web-app-delivered.png'), fullPage: true });
    console.log(`      screenshots: ${screenshots}`);
  });

  it('reconnects with ?lastEventId= after the web BFF restarts mid-order, and still shows every state in order', async () => {
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await openApp();
    await signIn(sign('c-1002'));
    await page.getByRole('button', { name: 'Sakura' }).click();
    await page.getByLabel('Miso Soup').fill('2');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.locator('#progress li[data-state="PREPARING"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    // SIGTERM closes the BFF's sockets with 1001; the page retries until the new process answers.
    await fleet!.stop('web-bff');
    await fleet!.start('web-bff');
    await page.locator('#progress li[data-state="DELIVERED"]').waitFor({ timeout: 15_000 });
    expect(await shownStates(page)).to.deep.equal(LIFECYCLE);
    expect(sockets.length).to.be.at.least(2);
    expect(new URL(sockets[0] as string).searchParams.has('lastEventId')).to.equal(false);
    expect(new URL(sockets.at(-1) as string).searchParams.get('lastEventId')).to.match(/^[\w-]+\.\d+$/);
    expect(pageErrors).to.deep.equal([]);
  });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  const locator = page.locator(selector);
  try {
    await page.waitForFunction(([sel, want]) => (globalThis as unknown as PageGlobals).document.querySelector(sel)?.textContent?.trim() === want, [
      selector,
      text,
    ] as const);
  } catch {
    throw new Error(`${selector}: expected "${text}", shows "${(await locator.textContent())?.trim()}"`);
  }
}
