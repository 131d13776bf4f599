// The official MCP conformance suite (@modelcontextprotocol/conformance) against the service, with the fixture
// pack on and the default Host/Origin allowlists. Every server scenario must pass; dns-rebinding-protection is
// part of the run. The suite's client sends no token, so auth is disabled explicitly for this run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningService, startService } from './helpers/start-service.ts';

const require = createRequire(import.meta.url);
const CONFORMANCE_CLI = join(
  dirname(require.resolve('@modelcontextprotocol/conformance/package.json')),
  'dist',
  'index.js',
);

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
}

function runSuite(url: string, outputDir: string, extra: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONFORMANCE_CLI, 'server', '--url', url, '-o', outputDir, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Not NODE_TEST_CONTEXT: a child that inherits it behaves as a test-runner worker and never exits.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

function checksIn(outputDir: string): Map<string, Check[]> {
  const byScenario = new Map<string, Check[]>();
  for (const entry of readdirSync(outputDir)) {
    const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T.*$/, '');
    byScenario.set(scenario, JSON.parse(readFileSync(join(outputDir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return byScenario;
}

describe('MCP conformance suite 0.1.16', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({
      MCP_CONFORMANCE_FIXTURES: 'true',
      MCP_AUTH_TOKEN: undefined,
      MCP_AUTH_DISABLED: 'true',
      LOG_LEVEL: 'info',
    });
  });
  after(async () => {
    assert.equal((await svc.stop()).code, 0);
  });

  it('passes every server scenario (active and pending suites) with 0 failures', async () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
    const { code, output } = await runSuite(svc.mcpUrl, outputDir, ['--suite', 'all']);
    const summary = /Total: (\d+) passed, (\d+) failed/.exec(output);
    console.log(`conformance: ${summary?.[0] ?? 'no summary'} (results in ${outputDir})`);
    assert.equal(code, 0, output);
    assert.ok(summary, output);
    assert.equal(Number(summary[2]), 0, output);

    const checks = checksIn(outputDir);
    for (const scenario of [
      'server-initialize',
      'tools-call-with-progress',
      'tools-call-sampling',
      'tools-call-elicitation',
      'resources-subscribe',
      'completion-complete',
      'json-schema-2020-12',
      'server-sse-multiple-streams',
      'dns-rebinding-protection',
    ]) {
      assert.ok(checks.has(scenario), `scenario ${scenario} ran`);
    }
    const failures = [...checks].flatMap(([scenario, list]) =>
      list.filter((c) => c.status === 'FAILURE').map((c) => `${scenario}/${c.id}: ${c.errorMessage}`),
    );
    assert.deepEqual(failures, []);
    const rebinding = checks.get('dns-rebinding-protection')!;
    assert.deepEqual(
      rebinding.map((c) => [c.id, c.status]),
      [
        ['localhost-host-rebinding-rejected', 'SUCCESS'],
        ['localhost-host-valid-accepted', 'SUCCESS'],
      ],
    );
  });
});
