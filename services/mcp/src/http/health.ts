// /healthz: the process answers (no dependencies, no auth) — for liveness probes and Docker healthchecks.
// /readyz: ready for traffic — the LLM provider answers its health probe (cached a few seconds so probes never
// hammer it) and we are not draining. 503 with the reason otherwise, so `curl /readyz` says what is wrong.
import { Router } from 'express';
import type { LlmProvider } from '../llm/types.ts';
import type { Lifecycle } from './lifecycle.ts';

const HEALTH_CACHE_MS = 5_000;
const HEALTH_TIMEOUT_MS = 3_000;

type Health = { ok: true } | { ok: false; reason: string };

export function createReadinessProbe(llm: LlmProvider, cacheMs = HEALTH_CACHE_MS) {
  let cached: { at: number; value: Health } | undefined;
  let inflight: Promise<Health> | undefined;
  const probe = async (): Promise<Health> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Health>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `LLM provider health check timed out after ${HEALTH_TIMEOUT_MS} ms` }), HEALTH_TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        llm.health().catch((error: unknown): Health => ({ ok: false, reason: error instanceof Error ? error.message : String(error) })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  return async (): Promise<Health> => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    inflight ??= probe().then((value) => {
      cached = { at: Date.now(), value };
      inflight = undefined;
      return value;
    });
    return inflight;
  };
}

export function healthRouter(opts: { llm: LlmProvider; lifecycle: Lifecycle; version: string }): Router {
  const router = Router();
  const readiness = createReadinessProbe(opts.llm);
  router.all('/healthz', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.set('Cache-Control', 'no-store').json({ status: 'ok', version: opts.version });
  });
  router.all('/readyz', async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.set('Cache-Control', 'no-store');
    if (opts.lifecycle.draining) {
      res.set('Connection', 'close').status(503).json({ status: 'draining', reason: 'shutting down: finishing in-flight calls' });
      return;
    }
    const health = await readiness();
    if (!health.ok) {
      res.status(503).json({ status: 'unavailable', reason: health.reason, llm: { provider: opts.llm.name, model: opts.llm.model } });
      return;
    }
    res.json({ status: 'ready', llm: { provider: opts.llm.name, model: opts.llm.model } });
  });
  return router;
}
