// /docs in a real headless Chromium (Debian's chromium via playwright-core): the page works offline, lists the
// tools, takes the bearer token from the user and runs a tool from the page. Screenshot: test/artifacts/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TEST_TOKEN } from '@mcp-stack/test-support/credentials';
import { type Browser, chromium } from 'playwright-core';
import type { FakeServer } from './helpers/fake-llm-common.ts';
import { listenApp } from './helpers/in-process-app.ts';
import { buildDeps, llmEnv } from './helpers/llm-deps.ts';
import { providerCases } from './helpers/llm-fixtures.ts';

// Debian's chromium by default; CHROMIUM_PATH points elsewhere (e.g. /usr/bin/google-chrome on GitHub's Ubuntu runners).
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

describe('/docs in headless Chromium', () => {
  let fake: FakeServer;
  let app: Awaited<ReturnType<typeof listenApp>>;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    fake = await providerCases[0]!.startFake();
    app = await listenApp(buildDeps(llmEnv('ollama', fake.url)));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await fake?.close();
  });

  it('lists the tools and calls ask from the page with the bearer token', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    // Offline: any request that leaves our server fails the test.
    const foreign: string[] = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === app.baseUrl) return route.continue();
      foreign.push(url.href);
      return route.abort();
    });
    const prompts: string[] = [];
    page.on('dialog', (dialog) => {
      prompts.push(dialog.message());
      void dialog.accept(TEST_TOKEN);
    });

    const response = await page.goto(`${app.baseUrl}/docs`);
    assert.equal(response?.status(), 200, 'the /docs shell loads without a token');
    await page.locator('.opblock-summary-path').first().waitFor();
    assert.deepEqual(prompts, ['This server needs its bearer token (MCP_AUTH_TOKEN):']);
    const paths = await page.locator('.opblock-summary-path').allInnerTexts();
    for (const path of ['/api/tools', '/api/tools/ask', '/api/tools/summarize', '/api/tools/server_info']) {
      assert.ok(
        paths.some((p) => p.replace(/\u200b/g, '').trim() === path),
        `${path} listed; got ${paths.join(', ')}`,
      );
    }

    const ask = page.locator('#operations-tools-ask');
    await ask.locator('.opblock-summary').click();
    // The page opens operations in try-out mode (tryItOutEnabled); click "Try it out" only where it is still shown.
    const tryOut = ask.getByRole('button', { name: /try it out/i });
    if ((await tryOut.count()) > 0) await tryOut.click();
    await ask.locator('textarea.body-param__text').fill(JSON.stringify({ question: 'Hello from the docs page' }));
    await ask.locator('button.execute').click();
    const status = ask.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor();
    assert.equal((await status.innerText()).trim(), '200');
    const body = await ask
      .locator('.live-responses-table tr.response .response-col_description pre')
      .first()
      .innerText();
    assert.match(body, /This is the test server answering: Hello from the docs page/);

    const chat = fake.requests.find((r) => r.path === '/api/chat');
    assert.ok(chat, 'the call from the page reached the model');
    assert.deepEqual(foreign, [], 'the page loaded nothing from the internet');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}docs-ask.png`, fullPage: true });
    await page.close();
  });
});
