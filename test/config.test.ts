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
