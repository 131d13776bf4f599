import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run, saveArtifact } from './docker.ts';
import { repoRoot } from './paths.ts';

const require = createRequire(import.meta.url);

export interface ConformanceRun {
  code: number;
  output: string;
  /** scenario -> statuses of its checks, from the suite's own result files. */
  scenarios: Map<string, string[]>;
}

/**
 * Runs the official MCP conformance suite (@modelcontextprotocol/conformance, its CLI as published) against
 * `url`, with a baseline of expected failures. The CLI is a child process that trusts our local CA
 * (NODE_EXTRA_CA_CERTS) and resolves *.localhost to 127.0.0.1 (preload), exactly like a user's machine would.
 */
export async function runConformance(
  url: string,
  options: { caFile: string; baseline: string },
): Promise<ConformanceRun> {
  const pkg = require.resolve('@modelcontextprotocol/conformance/package.json');
  const cli = join(dirname(pkg), 'dist', 'index.js');
  const outDir = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
  const result = await run(
    process.execPath,
    [
      '--import',
      import.meta.resolve('@mcp-stack/test-support/localhost-preload'),
      cli,
      'server',
      '--url',
      url,
      '--expected-failures',
      options.baseline,
      '--output-dir',
      outDir,
    ],
    { cwd: repoRoot, env: { ...process.env, NODE_EXTRA_CA_CERTS: options.caFile, NO_COLOR: '1' }, timeoutMs: 300_000 },
  );
  const output = result.stdout + result.stderr;
  await saveArtifact('conformance-through-traefik.log', output);
  return { code: result.code, output, scenarios: await readResults(outDir) };
}

/** The CLI writes `<dir>/server-<scenario>-<timestamp>/checks.json`, one per scenario. */
async function readResults(dir: string): Promise<Map<string, string[]>> {
  const scenarios = new Map<string, string[]>();
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('checks.json')) continue;
    const checks = JSON.parse(await readFile(join(dir, entry), 'utf8')) as { status: string }[];
    const folder = entry.split(/[\\/]/).slice(-2, -1)[0] ?? entry;
    const scenario = folder.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    scenarios.set(
      scenario,
      checks.map((c) => c.status),
    );
  }
  return scenarios;
}
