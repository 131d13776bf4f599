import { Wait } from 'testcontainers';
import { execIn, run } from './docker.ts';
import { HardenedContainer } from './hardened-container.ts';
import { repoRoot } from './paths.ts';

export interface OpenAiCompatibleServer {
  /** What backs it, for the report: a stand-in (wire-protocol test server) or a real engine. */
  kind: string;
  id: string;
  /** Chat requests the server received, with the Authorization header each carried. */
  chatRequests(): Promise<{ path: string; authorization?: string; status: number }[]>;
  remove(): Promise<void>;
}

/**
 * The OpenAI-compatible endpoint of the prod stack test. STAND-IN: the LLM engineer's wire-protocol test
 * server (services/mcp/test/helpers/fake-openai.ts: /v1/models and streaming /v1/chat/completions, checks the
 * API key, records requests), run unchanged in a container on the Node base image and attached to the stack's
 * internal backend network, where a managed API would be reached from. No model weights run here; what it
 * proves is the prod wiring: secret file -> key on the wire, provider selection by env, streaming through
 * Traefik.
 */
export async function startOpenAiCompatibleServer(options: {
  name: string;
  network: string;
  apiKey: string;
  model: string;
}): Promise<OpenAiCompatibleServer> {
  const helpers = `${repoRoot}/services/mcp/test/helpers`;
  const container = await new HardenedContainer(process.env.NODE_IMAGE ?? 'node:24-bookworm-slim')
    .withName(options.name)
    .withNetworkMode(options.network)
    .withUser('1000:1000')
    .withBindMounts([
      { source: `${helpers}/fake-openai.ts`, target: '/srv/fake-openai.ts', mode: 'ro' },
      { source: `${helpers}/fake-llm-common.ts`, target: '/srv/fake-llm-common.ts', mode: 'ro' },
    ])
    .withCommand(['node', '/srv/fake-openai.ts', '--port', '8080', '--model', options.model, '--api-key', options.apiKey, '--token-delay-ms', '20'])
    .withWaitStrategy(Wait.forLogMessage(/test server listening on port 8080/))
    .withStartupTimeout(30_000)
    .start();
  const id = container.getId();
  return {
    kind: 'stand-in: wire-protocol test server (fake-openai.ts)',
    id,
    async chatRequests() {
      const res = await execIn(id, [
        'node',
        '-e',
        "fetch('http://127.0.0.1:8080/__fake/requests').then(r => r.text()).then(t => process.stdout.write(t))",
      ]);
      if (res.code !== 0) throw new Error(`reading the test server's requests failed: ${res.stderr}`);
      const all = JSON.parse(res.stdout) as { path: string; authorization?: string; status: number }[];
      return all.filter((r) => r.path === '/v1/chat/completions');
    },
    async remove() {
      await run('docker', ['rm', '-f', '-v', id]);
    },
  };
}
