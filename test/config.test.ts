/**
 * `make config` renders and validates every compose combination (dev, dev+GPU, prod with ACME and with file
 * TLS, staging) and checks that prod has no Ollama and fails fast without its required variables. Running it
 * here puts it in `make test`, so CI validates every combination on every change.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './helpers/docker.ts';
import { repoRoot } from './helpers/paths.ts';

test('make config validates every compose combination', async () => {
  const result = await run('make', ['--no-print-directory', 'config'], { cwd: repoRoot });
  assert.equal(result.code, 0, `make config failed:\n${result.stdout}\n${result.stderr}`);
});

test("make config also renders the user's .env: a broken one fails, naming the file", async () => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  // A copy of the tree, so the repository's own .env (if a developer has one) is never touched.
  const tree = await mkdtemp(join(tmpdir(), 'config-env-'));
  try {
    const copy = await run('bash', ['-c', `git ls-files -z | tar --null -T - -cf - | tar -xf - -C '${tree}'`], {
      cwd: repoRoot,
    });
    assert.equal(copy.code, 0, copy.stderr);
    await writeFile(join(tree, '.env'), 'HTTPS_PORT=8443\nLLM_PROVIDER=openai\nOPENAI_API_KEY=unused\n');
    const good = await run('make', ['--no-print-directory', 'config'], { cwd: tree });
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /config: your \.env renders with compose\.yaml/);
    await writeFile(join(tree, '.env'), 'BIND_ADDRESS=${unterminated\n');
    const bad = await run('make', ['--no-print-directory', 'config'], { cwd: tree });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /\.env: Invalid template/);
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
});
