import { join } from 'node:path';
import { imageFor } from '@mcp-stack/test-support/pins';
import { GenericContainer, Wait } from 'testcontainers';
import { execIn, run } from './docker.ts';
import { repoRoot } from './paths.ts';

export const nodeImage = imageFor('NODE_IMAGE');
const helpersDir = join(repoRoot, 'services', 'mcp', 'test', 'helpers');
const PORT = 8081;

export interface RecordedUpstreamRequest {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string | undefined>;
  status: number;
  completed: boolean;
  aborted: boolean;
}

export interface AnthropicTestServer {
  /** What backs it, for the report. */
  kind: string;
  id: string;
  /** Base URL for ANTHROPIC_BASE_URL, as the mcp containers reach it on the stack's network. */
  baseUrl: string;
  /** Every request the server saw (its own record, read over its control route). */
  requests(): Promise<RecordedUpstreamRequest[]>;
  /** Switches a fault (see Fault in fake-llm-common.ts). */
  setFault(fault: { kind: string; [key: string]: unknown }): Promise<void>;
  remove(): Promise<void>;
}

/**
 * The Anthropic endpoint of the prod stack test: NOT Anthropic. No real Messages API can be reached here, so this
 * is the service tests' wire-protocol test server (services/mcp/test/helpers/fake-anthropic.ts: documented SSE
 * events, error envelope, key check; an echoing "model") run by plain `node` in the Node image, attached to the
 * stack's internal backend network where a managed API would be reached from. Its control routes are only
 * reachable inside the container (docker exec), like the stack's own network.
 */
export async function startAnthropicTestServer(options: {
  name: string;
  network: string;
  model: string;
  apiKey: string;
}): Promise<AnthropicTestServer> {
  const container = await new GenericContainer(nodeImage)
    .withName(options.name)
    .withNetworkMode(options.network)
    .withUser('1000:1000')
    .withBindMounts([{ source: helpersDir, target: '/fake', mode: 'ro' }])
    .withCommand([
      'node',
      '/fake/fake-anthropic.ts',
      '--port',
      String(PORT),
      '--model',
      options.model,
      '--api-key',
      options.apiKey,
      '--token-delay-ms',
      '20',
    ])
    .withWaitStrategy(Wait.forLogMessage(/Anthropic test server listening on port/))
    .withStartupTimeout(60_000)
    .start();
  const id = container.getId();
  const control = async (path: string, body?: unknown) => {
    const script =
      `fetch('http://127.0.0.1:${PORT}${path}', ${body === undefined ? '{}' : `{ method: 'POST', headers: { 'content-type': 'application/json' }, body: process.argv[1] }`})` +
      '.then((r) => r.text()).then((t) => process.stdout.write(t))';
    const result = await execIn(id, ['node', '-e', script, ...(body === undefined ? [] : [JSON.stringify(body)])]);
    if (result.code !== 0) throw new Error(`test server control ${path} failed: ${result.stderr}`);
    return result.stdout;
  };
  return {
    kind: `Anthropic Messages API test server (fake-anthropic.ts in ${nodeImage})`,
    id,
    baseUrl: `http://${options.name}:${PORT}`,
    async requests() {
      return JSON.parse(await control('/__fake/requests')) as RecordedUpstreamRequest[];
    },
    async setFault(fault) {
      await control('/__fake/fault', fault);
    },
    async remove() {
      await run('docker', ['rm', '-f', '-v', id]);
    },
  };
}
