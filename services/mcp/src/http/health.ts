// /healthz: the process answers (no dependencies, no auth) — for liveness probes and Docker healthchecks.
// /readyz: ready for traffic — the LLM provider answers its health probe (cached a few seconds so probes never
// hammer it) and we are not draining. 503 otherwise, with a generic public reason; the log has the details.
// The probe's deadline is the provider's (HEALTH_TIMEOUT_MS, enforced by probeHealth in llm/policy.ts).
import { Router } from 'express';
import type { Logger } from 'pino';
import { type HealthStatus, type LlmProvider, scrubCredentials } from '../llm/types.ts';
import type { Lifecycle } from '../runtime/lifecycle.ts';

const HEALTH_CACHE_MS = 5_000;

function createReadinessProbe(llm: LlmProvider, logger: Logger, cacheMs = HEALTH_CACHE_MS) {
  let cached: { at: number; value: HealthStatus } | undefined;
  let inflight: Promise<HealthStatus> | undefined;
  // health() promises never to throw; a provider that does anyway still gets its reason shown.
  const probe = (): Promise<HealthStatus> =>
    llm.health().catch(
      (error: unknown): HealthStatus => ({
        ok: false,
        reason: error instanceof Error ? error.message : String(error),
      }),
    );
  return async (): Promise<HealthStatus> => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    inflight ??= probe().then((value) => {
      if (!value.ok) logger.warn({ reason: scrubCredentials(value.reason) }, 'not ready');
      cached = { at: Date.now(), value };
      inflight = undefined;
      return value;
    });
    return inflight;
  };
}

const PUBLIC_UNREADY_REASON = 'the LLM provider is not ready; the service log says why (msg "not ready")';

export function healthRouter(opts: {
  llm: LlmProvider;
  lifecycle: Lifecycle;
  version: string;
  logger: Logger;
}): Router {
  const router = Router();
  const readiness = createReadinessProbe(opts.llm, opts.logger);
  router.all('/healthz', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.set('Cache-Control', 'no-store').json({ status: 'ok', version: opts.version });
  });
  router.all('/readyz', async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.set('Cache-Control', 'no-store');
    if (opts.lifecycle.draining) {
      res
        .set('Connection', 'close')
        .status(503)
        .json({ status: 'draining', reason: 'shutting down: finishing in-flight calls' });
      return;
    }
    const health = await readiness();
    if (!health.ok) {
      // /readyz is public (probes send no token): the upstream's own words stay in the log.
      res.status(503).json({
        status: 'unavailable',
        reason: PUBLIC_UNREADY_REASON,
        llm: { provider: opts.llm.name, model: opts.llm.model },
      });
      return;
    }
    res.json({ status: 'ready', llm: { provider: opts.llm.name, model: opts.llm.model } });
  });
  return router;
}
