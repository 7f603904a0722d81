// GraphiQL in a real browser: Debian's Chromium, headless, driven by playwright-core. The page loads with
// nothing from off the gateway, the API key typed into the header editor authenticates a query, and a
// subscription started from the page receives an inventory change made over HTTP.
//
// Needs /usr/bin/chromium (`apt-get install -y chromium`). Without it the test is skipped, loudly,
// except under CI=true, where it fails.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCloud, uniq } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { Scrape } from '../observability/prom.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';
const SCREENSHOTS = tmpdir();

if (!haveChromium) {
  console.warn(
    `\n*** GraphiQL browser tests ${inCI ? 'FAIL (CI=true)' : 'SKIPPED'}: ${CHROMIUM} not found. ` +
      'Install it with: apt-get update && apt-get install -y chromium ***\n',
  );
}

if (!haveChromium && inCI) {
  describe('GraphiQL in headless Chromium', () => {
    it('needs Chromium at /usr/bin/chromium (CI=true)', () => {
      throw new Error(`${CHROMIUM} is missing: CI must install it (apt-get install -y chromium)`);
    });
  });
}

const HEADERS = '[aria-label="Headers"].graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const QUERY = '.graphiql-query-editor .CodeMirror';
const RESPONSE = '.graphiql-response .CodeMirror';

describe.skipIf(!haveChromium)('GraphiQL in headless Chromium', () => {
  let t: TestGateway;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const sockets: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    t = await startGateway('sqlite');
    profile = await mkdtemp(join(tmpdir(), 'craton-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
      offline: false,
    });
    const origin = new URL(t.url).origin;
    // Everything the page asks for is recorded; anything off the gateway is refused (the page must not need it).
    context.on('request', (r) => requests.push(r.url()));
    await context.route((url) => url.origin !== origin, (route) => route.abort('blockedbyclient'));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('websocket', (ws) => sockets.push(ws.url()));
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401|UNAUTHENTICATED/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await t?.stop();
  });

  async function setEditor(selector: string, text: string): Promise<void> {
    await page.click(selector);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // insertText types as one input event: no auto-closed brackets or quotes.
    await page.keyboard.insertText(text);
    expect(await editorValue(selector)).toBe(text);
  }

  function editorValue(selector: string): Promise<string> {
    return page.$eval(selector, (el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
  }

  async function responseJson(until: (body: any) => boolean, what: string, timeoutMs = 15_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await editorValue(RESPONSE);
      try {
        const body = JSON.parse(last);
        if (until(body)) return body;
      } catch {
        // empty, or a stream still being written
      }
      if (Date.now() > deadline) throw new Error(`the result pane never showed ${what}; it shows: ${last.slice(0, 500)}`);
      await page.waitForTimeout(100);
    }
  }

  async function activeSubscriptions(): Promise<number> {
    return Scrape.parse(await (await fetch(`${t.url}/metrics`)).text()).value('craton_active_subscriptions');
  }

  async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await page.waitForTimeout(100);
    }
  }

  it('loads from the gateway alone, with the header editor open', async () => {
    const res = await page.goto(`${t.url}/graphql`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector(QUERY, { timeout: 20_000 });
    await page.waitForSelector(HEADERS);
    expect(await editorValue(HEADERS)).toContain('"Authorization": "Bearer <api key>"');
    // The placeholder key is not sent: the page says what to do instead.
    const hint = await responseJson((b) => Array.isArray(b.errors), 'the API key hint');
    expect(hint.errors[0].message).toMatch(/API key/);
    await page.screenshot({ path: join(SCREENSHOTS, 'craton-graphiql-loaded.png') });
    const origin = new URL(t.url).origin;
    expect(requests.length).toBeGreaterThanOrEqual(6);
    expect(requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('runs a query with the API key typed into the header editor', async () => {
    await setEditor(HEADERS, `{"Authorization": "Bearer ${t.rootKey}"}`);
    await setEditor(QUERY, '{ me { user { name } } }');
    await page.click('.graphiql-execute-button');
    const body = await responseJson((b) => b.data?.me !== undefined || Array.isArray(b.errors) && !/API key yet/.test(b.errors[0]?.message), 'the query result');
    expect(body).toEqual({ data: { me: { user: { name: 'root' } } } });
    // The new key also fetched the schema: the documentation explorer shows the root types.
    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.waitForFunction(
      () => {
        // Runs in the page (the test's tsconfig has no DOM types).
        const el = (globalThis as any).document.querySelector('.graphiql-doc-explorer');
        return /Root Types[\s\S]*subscription/.test(el?.textContent ?? '');
      },
      null,
      { timeout: 15_000 },
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'craton-graphiql-query.png') });
    await page.click('button[aria-label="Hide Documentation Explorer"]');
    expect(problems).toEqual([]);
  });

  it('receives an inventoryChanged event in a subscription started from the page', async () => {
    const before = await activeSubscriptions();
    await setEditor(QUERY, 'subscription { inventoryChanged { action objectType } }');
    await page.click('.graphiql-execute-button');
    // Live once the gateway counts it (graphql-ws authenticated with the key from the header editor).
    await waitFor(async () => (await activeSubscriptions()) === before + 1, 'the subscription to be active').catch(async (err) => {
      await page.screenshot({ path: join(SCREENSHOTS, 'craton-graphiql-failed.png') });
      throw new Error(`${(err as Error).message}; the result pane shows: ${(await editorValue(RESPONSE)).slice(0, 500)}`);
    });
    const origin = new URL(t.url).origin.replace(/^http/, 'ws');
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    expect(sockets.every((u) => u.startsWith(`${origin}/graphql`))).toBe(true);

    await makeCloud(t, uniq('graphiql-cloud'));
    const event = await responseJson((b) => b.data?.inventoryChanged !== undefined, 'the inventoryChanged event');
    expect(event).toEqual({ data: { inventoryChanged: { action: 'CREATE', objectType: 'Cloud' } } });
    await page.screenshot({ path: join(SCREENSHOTS, 'craton-graphiql-subscription.png') });

    // The execute button stops a running subscription.
    await page.click('.graphiql-execute-button');
    await waitFor(async () => (await activeSubscriptions()) === before, 'the subscription to end');
    expect(problems).toEqual([]);
    const origin2 = new URL(t.url).origin;
    expect(requests.filter((u) => !u.startsWith(`${origin2}/`) && !u.startsWith('data:'))).toEqual([]);
  });
});
