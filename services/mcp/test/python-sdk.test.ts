// A wrong token on /mcp must reach a user of the official Python SDK (PyPI `mcp`, pinned) as a message that says
// the token was refused, not as an internal error: the 401 carries a JSON-RPC error body the SDK shows.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RunningService, startService, TEST_TOKEN } from './helpers/start-service.ts';

const run = promisify(execFile);
const PYTHON_MCP_VERSION = '2.3.0';
const PYVENV = fileURLToPath(new URL('../../../scripts/hardening/pyvenv.sh', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./python/wrong_token.py', import.meta.url));

// Generous deadlines: a cold install (pip) takes minutes; each Python start is slow on a busy machine.
describe(`Python SDK (mcp ${PYTHON_MCP_VERSION}) and the bearer token`, { timeout: 1_200_000 }, () => {
  let python: string;
  let svc: RunningService;
  before(
    async () => {
      const { stdout } = await run('bash', [PYVENV, 'mcp', PYTHON_MCP_VERSION], { maxBuffer: 1 << 24 });
      python = join(stdout.trim(), 'python');
      svc = await startService({ LOG_LEVEL: 'info' });
    },
    { timeout: 900_000 },
  );
  after(() => svc?.stop());

  const connect = async (token: string, mode: string) => {
    const { stdout } = await run(python, [SCRIPT, svc.mcpUrl, token, mode], { timeout: 240_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { ok: boolean; error?: string };
  };

  for (const mode of ['auto', 'legacy']) {
    it(`mode=${mode}: a wrong token is shown as refused; the right one works`, { timeout: 300_000 }, async () => {
      const wrong = await connect(`${TEST_TOKEN}-wrong`, mode);
      assert.equal(wrong.ok, false);
      assert.match(wrong.error ?? '', /token was refused/i, wrong.error);
      assert.doesNotMatch(wrong.error ?? '', /Server returned an error response/);
      const right = await connect(TEST_TOKEN, mode);
      assert.deepEqual(right, { ok: true });
    });
  }
});
