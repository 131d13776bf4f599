// /healthz: the process answers (no dependencies, no auth) — for liveness probes and Docker healthchecks.
// /readyz: ready for traffic — the LLM provider answers its health probe (cached a few seconds so probes never
// hammer it) and we are not draining. 503 with the reason otherwise, so `curl /readyz` says what is wrong.
// The probe's deadline is the provider's (HEALTH_TIMEOUT_MS, enforced by probeHealth in llm/policy.ts).
import { Router } from 'express';
import type { HealthStatus, LlmProvider } from '../llm/types.ts';
import type { Lifecycle } from '../runtime/lifecycle.ts';

const HEALTH_CACHE_MS = 5_000;

function createReadinessProbe(llm: LlmProvider, cacheMs = HEALTH_CACHE_MS) {
  let cached: { at: number; value: HealthStatus } | undefined;
  let inflight: Promise<HealthStatus> | undefined;
  // health() promises never to throw; a provider that does anyway still gets its reason shown.
  const probe = (): Promise<HealthStatus> =>
    llm.health().catch((error: unknown): HealthStatus => ({ ok: false, reason: error instanceof Error ? error.message : String(error) }));
  return async (): Promise<HealthStatus> => {
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
