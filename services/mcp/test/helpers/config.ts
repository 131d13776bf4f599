// What the config tests share: the problems a rejected configuration lists (loadConfig is the only entry point),
// and a secret file for an X_FILE variable to point at.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

/** Every problem loadConfig lists for `env`; fails the test when it accepts the configuration. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected the configuration to be rejected');
}

/** A new file holding `content` (named `name`, in a directory of its own); returns its path. */
export function secretFile(content: string, name = 'secret'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'config-')), name);
  writeFileSync(file, content);
  return file;
}
