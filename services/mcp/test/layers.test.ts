// The source tree's layers point one way: config -> llm, runtime -> deps -> tools -> rest, mcp -> http -> main.
// A file may import from its own layer or a lower one, never upwards or sideways (rest and mcp stay apart).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const RANK: Record<string, number> = {
  config: 0,
  llm: 1,
  runtime: 1,
  deps: 2,
  tools: 3,
  rest: 4,
  mcp: 4,
  http: 5,
  main: 6,
};

const layerOf = (file: string) => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('layers', () => {
  it('every source file belongs to a known layer and imports only its own or lower layers', () => {
    const wrong: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(file);
      assert.ok(from in RANK, `${relative(SRC, file)} is in no known layer`);
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
        const to = layerOf(resolve(dirname(file), target!));
        if (to !== from && !(RANK[to]! < RANK[from]!)) wrong.push(`${relative(SRC, file)} -> ${to}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
