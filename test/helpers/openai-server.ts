import { imageFor } from '@mcp-stack/test-support/pins';
import { GenericContainer, Wait } from 'testcontainers';
import { run } from './docker.ts';

export interface OpenAiCompatibleServer {
  /** What backs it, for the report. */
  kind: string;
  id: string;
  /** Base URL for OPENAI_BASE_URL, as the mcp containers reach it on the stack's network. */
  baseUrl: string;
  /** The chat completions the engine itself logged (its own access log), with their status codes. */
  chatCompletions(): Promise<number[]>;
  remove(): Promise<void>;
}

export const ollamaImage = imageFor('OLLAMA_IMAGE');

/**
 * The OpenAI-compatible endpoint of the prod stack test: a REAL engine, Ollama's own `/v1` API (OpenAI chat
 * completions with SSE streaming, `/v1/models`) in the same image the dev stack runs, with the test bed's tiny
 * locally made model (random weights: the answers are noise, the wire protocol and the inference are real).
 * Attached to the stack's internal backend network, where a managed API would be reached from.
 * Ollama ignores the API key, so the key's path (secret file -> provider) is checked on the mcp side.
 */
export async function startOpenAiCompatibleServer(options: {
  name: string;
  network: string;
}): Promise<OpenAiCompatibleServer> {
  const container = await new GenericContainer(ollamaImage)
    .withName(options.name)
    .withNetworkMode(options.network)
    .withEnvironment({ OLLAMA_HOST: '0.0.0.0:11434', OLLAMA_KEEP_ALIVE: '10m' })
    .withWaitStrategy(Wait.forLogMessage(/Listening on .*11434/))
    .withStartupTimeout(60_000)
    .start();
  const id = container.getId();
  return {
    kind: `real engine: ${ollamaImage} OpenAI-compatible /v1`,
    id,
    baseUrl: `http://${options.name}:11434/v1`,
    async chatCompletions() {
      const logs = await run('docker', ['logs', id]);
      // Gin access log lines: [GIN] 2026/11/25 - 14:00:00 | 200 |  1.2s | 192.168.0.3 | POST "/v1/chat/completions"
      return (logs.stdout + logs.stderr)
        .split('\n')
        .filter((line) => line.includes('"/v1/chat/completions"'))
        .map((line) => Number(/\|\s*(\d{3})\s*\|/.exec(line)?.[1] ?? 0));
    },
    async remove() {
      await run('docker', ['rm', '-f', '-v', id]);
    },
  };
}
