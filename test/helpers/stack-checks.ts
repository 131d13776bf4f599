/** Checks shared by the dev and prod stack tests. */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { type ClientTarget, connectLegacySse, connectV2, resultText } from './mcp-clients.ts';

/**
 * Traefik learns routes from Docker events a moment after the containers are healthy. This waits for the
 * route to answer (a readiness probe, retried quickly), so no test starts against a router that is not
 * there yet. Fails with the last answer if it never comes.
 */
export async function waitForRoute(fetchFn: typeof fetch, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const res = await fetchFn(url);
      await res.body?.cancel();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = String((error as Error).cause ?? error);
    }
    await delay(200);
  }
  throw new Error(`${url} did not answer 2xx within ${timeoutMs / 1000} s (last: ${last})`);
}

export interface AskOutcome {
  answer: string;
  provider: string;
  model: string;
  progress: string[];
  /** When each progress notification arrived (performance.now(), ms), to tell a stream from a burst. */
  progressAt: number[];
}

/** Calls `ask` with a progress callback; the progress messages are the answer as it streamed. */
export async function askWithProgress(
  client: {
    callTool(
      params: { name: string; arguments: Record<string, unknown> },
      resultSchema?: undefined,
      options?: { onprogress?: (p: { message?: string }) => void; timeout?: number },
    ): Promise<unknown>;
  },
  question: string,
): Promise<AskOutcome> {
  const progress: string[] = [];
  const progressAt: number[] = [];
  const result = (await client.callTool({ name: 'ask', arguments: { question } }, undefined, {
    onprogress: (p) => {
      progress.push(p.message ?? '');
      progressAt.push(performance.now());
    },
    timeout: 120_000,
  })) as {
    isError?: boolean;
    content?: unknown;
    structuredContent?: { answer: string; provider: string; model: string };
  };
  if (result.isError) throw new Error(`ask returned an error: ${resultText(result)}`);
  if (!result.structuredContent) throw new Error(`ask returned no structured content: ${JSON.stringify(result)}`);
  return { ...result.structuredContent, progress, progressAt };
}

/** SDK v2's callTool takes (params, options); v1's takes (params, resultSchema, options). */
export async function askWithProgressV2(
  client: {
    callTool(
      params: { name: string; arguments: Record<string, unknown> },
      options?: { onprogress?: (p: { message?: string }) => void; timeout?: number },
    ): Promise<unknown>;
  },
  question: string,
): Promise<AskOutcome> {
  return askWithProgress({ callTool: (params, _schema, options) => client.callTool(params, options) }, question);
}

/**
 * `ask` over the two transports a deployment serves: `modern` through a 2026-07-28 SDK v2 client, `legacy` through
 * an SDK v1 HTTP+SSE client. Checks what every answer must show: the provider and model, progress before the
 * result, and the progress in order with nothing invented (the SDK clients drop a notification that shares a read
 * with the result, so the tail may be missing). Returns the outcomes in that order for a test's own checks.
 */
export async function askOverBothTransports(
  target: ClientTarget,
  questions: { modern: string; legacy: string },
  expected: { provider: string; model: string },
): Promise<{ question: string; outcome: AskOutcome }[]> {
  const modern = await connectV2(target, { pin: '2026-07-28' });
  const legacy = await connectLegacySse(target);
  try {
    const asked = [
      { question: questions.modern, outcome: await askWithProgressV2(modern.client, questions.modern) },
      { question: questions.legacy, outcome: await askWithProgress(legacy.client, questions.legacy) },
    ];
    for (const { outcome } of asked) {
      assert.equal(outcome.provider, expected.provider);
      assert.equal(outcome.model, expected.model);
      assert.ok(outcome.progress.length >= 1, 'progress before the result');
      assert.ok(
        outcome.answer.startsWith(outcome.progress.join('')),
        `progress ${JSON.stringify(outcome.progress)} vs answer ${JSON.stringify(outcome.answer)}`,
      );
    }
    return asked;
  } finally {
    await modern.close();
    await legacy.close();
  }
}
