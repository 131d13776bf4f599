/**
 * Capacity that holds together (issue #13, defect 10): in the production compose file, the first limit a crowd of
 * streams reaches must answer politely (the service's session cap: 503 + Retry-After; Traefik's in-flight cap:
 * 429) before Traefik reaches its memory limit and is OOM-killed with every client on it. The per-stream cost is
 * the one `make soak` measured (docs/capacity.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './helpers/docker.ts';
import { repoRoot } from './helpers/paths.ts';

/** Traefik's memory per idle TLS stream (HTTP/1.1, one connection each), rounded up: docs/capacity.md. */
const TRAEFIK_KIB_PER_STREAM = 200;
/** Traefik's own footprint before any stream, rounded up. */
const TRAEFIK_BASE_MIB = 64;

interface Rendered {
  services: Record<
    string,
    {
      deploy?: { replicas?: number; resources?: { limits?: { memory?: string } } };
      labels?: Record<string, string>;
      environment?: Record<string, string>;
    }
  >;
}

test('prod: Traefik holds every stream it lets through, and a polite limit comes first', async () => {
  const result = await run(
    'docker',
    ['compose', '-f', 'compose.prod.yaml', '--env-file', '.env.example', 'config', '--format', 'json'],
    {
      cwd: repoRoot,
      env: { ...process.env, DOMAIN: 'mcp.example.com', IMAGE_TAG: '0.0.0', ACME_EMAIL: 'ops@example.com' },
    },
  );
  assert.equal(result.code, 0, result.stderr);
  const config = JSON.parse(result.stdout) as Rendered;
  const traefik = config.services.traefik!;
  const mcp = config.services.mcp!;
  const traefikMiB = Number(traefik.deploy?.resources?.limits?.memory) / 2 ** 20;
  const router = mcp.labels?.['traefik.http.routers.mcp.middlewares'] ?? '';
  assert.match(router, /(^|,)mcp-inflight(,|$)/, 'the mcp router has no in-flight cap');
  const inflight = Number(mcp.labels?.['traefik.http.middlewares.mcp-inflight.inflightreq.amount']);
  assert.ok(inflight > 0, 'TRAEFIK_MAX_INFLIGHT is set');
  const needMiB = TRAEFIK_BASE_MIB + (inflight * TRAEFIK_KIB_PER_STREAM) / 1024;
  assert.ok(
    traefikMiB >= needMiB,
    `Traefik's ${traefikMiB} MiB cannot hold ${inflight} streams (needs ${needMiB.toFixed(0)} MiB)`,
  );
  // The service's own cap (503 + Retry-After per replica) is reached before Traefik's 429.
  const replicas = mcp.deploy?.replicas ?? 1;
  const maxSessions = Number(mcp.environment?.MCP_MAX_SESSIONS || 1000);
  assert.ok(
    replicas * maxSessions <= inflight,
    `${replicas} x ${maxSessions} sessions exceed Traefik's in-flight cap ${inflight}`,
  );
});
