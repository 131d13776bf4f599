// schemathesis (PyPI, pinned) fuzzes the REST façade from its own /openapi.json with every check it has
// (--checks all): responses must match the document (status codes, content types, schemas, headers), auth must be
// enforced, and nothing may answer 5xx. Once with the token, once without. The tools' LLM is the OpenAI wire
// stand-in (helpers/fake-openai.ts), so tool calls succeed and a 5xx would be the service's own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FakeServer } from './helpers/fake-llm-common.ts';
import { startFakeOpenAi } from './helpers/fake-openai.ts';
import { authHeaders, type RunningService, startService, TEST_TOKEN } from './helpers/start-service.ts';

const run = promisify(execFile);
const SCHEMATHESIS_VERSION = '4.32.5';
const PYVENV = fileURLToPath(new URL('../../../scripts/hardening/pyvenv.sh', import.meta.url));
const SEED = '1313';

async function schemathesisBin(): Promise<string> {
  // Installs into /var/cache/mcp-stack on first use; fails loudly (with pip's reason) when it cannot.
  const { stdout } = await run('bash', [PYVENV, 'schemathesis', SCHEMATHESIS_VERSION], { maxBuffer: 1 << 24 });
  return join(stdout.trim(), 'st');
}

/** The run's summary lines as the test's diagnostic; the whole output (its start) when it failed. */
function expectNoFailures(t: TestContext, result: { code: number; output: string }): void {
  t.diagnostic(
    result.output
      .split('\n')
      .filter((l) => /passed|failed|error|Summary|cases/i.test(l))
      .slice(-8)
      .join('\n'),
  );
  assert.equal(result.code, 0, result.output.slice(0, 12000));
}

async function schemathesis(bin: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    // No example database and a scratch working directory: each run is the seed's alone, and leaves nothing in
    // the repository (schemathesis writes .schemathesis/ and .hypothesis/ into its working directory).
    const { stdout, stderr } = await run(
      bin,
      [
        'run',
        ...args,
        '--checks',
        'all',
        '--seed',
        SEED,
        '--generation-database',
        'none',
        '--no-color',
        '--workers',
        '1',
      ],
      {
        cwd: await mkdtemp(join(tmpdir(), 'mcp-st-run-')),
        maxBuffer: 1 << 26,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', SCHEMATHESIS_TELEMETRY: 'false' },
        timeout: 600_000,
      },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    };
  }
}

// Generous deadlines: a cold install (pip) takes minutes, and a run ~2 min on a busy 2-core machine.
describe(`schemathesis ${SCHEMATHESIS_VERSION} against /openapi.json (--checks all)`, { timeout: 1_200_000 }, () => {
  let bin: string;
  let fake: FakeServer;
  let svc: RunningService;
  let schemaFile: string;
  before(
    async () => {
      bin = await schemathesisBin();
      fake = await startFakeOpenAi();
      svc = await startService({
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: `${fake.url}/v1`,
        OPENAI_API_KEY: 'sk-test-0123456789',
        OPENAI_MODEL: 'gpt-4o-mini',
        MCP_RATE_LIMIT_PER_MINUTE: '0',
        LOG_LEVEL: 'info',
      });
      const doc = await fetch(`${svc.baseUrl}/openapi.json`, { headers: authHeaders() });
      assert.equal(doc.status, 200);
      schemaFile = join(await mkdtemp(join(tmpdir(), 'mcp-st-')), 'openapi.json');
      await writeFile(schemaFile, await doc.text());
    },
    { timeout: 900_000 },
  );
  after(async () => {
    await svc?.stop();
    await fake?.close();
  });

  it('with the token: 0 failures', { timeout: 600_000 }, async (t) => {
    const result = await schemathesis(bin, [
      `${svc.baseUrl}/openapi.json`,
      '--header',
      `Authorization: Bearer ${TEST_TOKEN}`,
      '--max-examples',
      '40',
    ]);
    expectNoFailures(t, result);
  });

  it('without a token: every operation answers the documented 401 problem, 0 failures', {
    timeout: 600_000,
  }, async (t) => {
    const result = await schemathesis(bin, [schemaFile, '--url', svc.baseUrl, '--max-examples', '10']);
    expectNoFailures(t, result);
  });
});
