// Measure 2: ours through the dev stack's Traefik with TLS vs ours direct, same container, same run.
// The dev stack (compose.yaml) runs as its own Compose project with a throwaway self-signed certificate, the
// bench token and the rate limit off; the mcp and traefik containers are pinned to the server core and wrk
// to the load core. Direct = the mcp container's own address; through Traefik = the traefik container's
// websecure port, read from its TRAEFIK_ENTRYPOINTS_WEBSECURE_ADDRESS (so Docker's userland port proxy is not part
// of either figure). Same Host header both ways.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_TOKEN } from '@mcp-stack/test-support/credentials';
import { dockerApi, dockerUnavailable } from '../lib/docker.ts';
import { modernToolCallBody, modernToolCallHeaders } from '../lib/mcp-wire.ts';
import { RAW_DIR, REPO_DIR } from '../lib/paths.ts';
import { run, SERVER_CORE } from '../lib/proc.ts';
import type { NotMeasured, TraefikPoint, TraefikResult } from '../lib/results.ts';
import { runWrk } from '../lib/wrk.ts';
import { oursDefault } from '../targets.ts';

const PROJECT = 'mcp-bench';
const HOST = 'mcp.localhost';

export async function measureTraefik(
  timing: { warmupS: number; durationS: number },
  log: (line: string) => void,
): Promise<TraefikResult | NotMeasured> {
  const noDocker = await dockerUnavailable();
  if (noDocker) return { measured: false, reason: noDocker };
  if (!existsSync(join(REPO_DIR, 'compose.yaml')))
    return { measured: false, reason: 'compose.yaml (the dev stack) does not exist' };
  const certDir = join(RAW_DIR, 'certs');
  mkdirSync(certDir, { recursive: true });
  const cert = await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${HOST}`,
      '-addext',
      `subjectAltName=DNS:${HOST}`,
      '-keyout',
      join(certDir, 'tls.key'),
      '-out',
      join(certDir, 'tls.crt'),
    ],
    { pin: false },
  );
  if (cert.code !== 0)
    return { measured: false, reason: `openssl could not make the throwaway certificate: ${cert.stderr.trim()}` };
  await run('chmod', ['0644', join(certDir, 'tls.key')], { pin: false }); // readable by Traefik's user in the container

  const env = {
    COMPOSE_PROJECT_NAME: PROJECT,
    HTTP_PORT: '',
    HTTPS_PORT: '',
    TLS_CERT_DIR: certDir,
    LOG_LEVEL: 'warn',
    TRAEFIK_LOG_LEVEL: 'ERROR',
    MCP_AUTH_TOKEN: TEST_TOKEN,
    MCP_RATE_LIMIT_PER_MINUTE: '0',
    OLLAMA_MODEL: 'mcp-stack-tiny',
  };
  const compose = (args: string[], timeoutMs = 600_000) =>
    run('docker', ['compose', '-p', PROJECT, '-f', 'compose.yaml', ...args], {
      cwd: REPO_DIR,
      env,
      pin: false,
      timeoutMs,
    });

  try {
    log('  starting the dev stack (mcp, traefik and what they depend on)');
    // --pull never: images come from this engine (make images-offline); a missing one fails fast with its name.
    const up = await compose(['up', '-d', '--build', '--pull', 'never', 'mcp', 'traefik']);
    if (up.code !== 0)
      return {
        measured: false,
        reason: `docker compose up failed: ${(up.stderr || up.stdout).trim().split('\n').slice(-3).join(' ')}`,
      };
    const mcpId = (await compose(['ps', '-q', 'mcp'])).stdout.trim();
    const traefikId = (await compose(['ps', '-q', 'traefik'])).stdout.trim();
    if (!mcpId || !traefikId)
      return { measured: false, reason: 'the mcp or traefik container is missing after compose up' };
    const mcpIp = await containerIp(mcpId);
    const traefikIp = await containerIp(traefikId);
    if (!mcpIp || !traefikIp) return { measured: false, reason: "could not find the containers' addresses" };
    await run('docker', ['update', '--cpuset-cpus', SERVER_CORE, mcpId, traefikId], { pin: false });
    const httpsPort = await websecurePort(traefikId);

    const call = oursDefault.call;
    const headers = { ...modernToolCallHeaders(call, oursDefault.auth), Host: HOST };
    const body = modernToolCallBody(call);
    const paths = [
      { path: 'direct' as const, url: `http://${mcpIp}:8000/mcp` },
      { path: 'traefik+tls' as const, url: `https://${traefikIp}:${httpsPort}/mcp` },
    ];
    // Wait until both paths answer the call correctly (the mcp container may still be starting; Traefik
    // picks the router up from the Docker provider a moment after the container is healthy).
    const deadline = Date.now() + 180_000;
    for (const p of paths) {
      while (true) {
        const probe = await runWrk({
          label: `traefik-probe-${p.path}`,
          url: p.url,
          body,
          headers,
          expect: call.expect,
          connections: 1,
          durationS: 1,
        }).catch(() => undefined);
        if (probe && probe.requests > 0 && probe.failures === 0) break;
        if (Date.now() > deadline) {
          return {
            measured: false,
            reason: `${p.path} did not answer tools/call correctly within 180 s (${probe?.firstFailure ?? 'no answer'})`,
          };
        }
        await sleep(1_000);
      }
    }

    // The dev container starts cold (node --watch, nothing JIT-compiled): warm both paths well before measuring.
    for (const p of paths)
      await runWrk({
        label: `traefik-${p.path}-warmup`,
        url: p.url,
        body,
        headers,
        expect: call.expect,
        connections: 16,
        durationS: 5,
      });

    const points: TraefikPoint[] = [];
    for (const connections of [16, 64]) {
      for (const p of paths) {
        await runWrk({
          label: `traefik-${p.path}-c${connections}-warmup`,
          url: p.url,
          body,
          headers,
          expect: call.expect,
          connections,
          durationS: timing.warmupS,
        });
        const r = await runWrk({
          label: `traefik-${p.path}-c${connections}`,
          url: p.url,
          body,
          headers,
          expect: call.expect,
          connections,
          durationS: timing.durationS,
        });
        log(
          `  ${p.path.padEnd(12)} c=${String(connections).padEnd(3)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms${r.failures ? `  FAILURES ${r.failures}` : ''}`,
        );
        points.push({ path: p.path, connections, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, failures: r.failures });
      }
    }
    return {
      measured: true,
      how:
        `Dev stack (compose.yaml, project ${PROJECT}) with the mcp dev image (node src/main.ts), 2026-07-28 tools/call ${call.name}, ` +
        `mcp and traefik containers pinned to core ${SERVER_CORE} together (Traefik's CPU is taken from the same core), wrk on the other; ` +
        `direct = http://<mcp container>:8000, Traefik = https://<traefik container>:${httpsPort} (TLS terminated by Traefik, self-signed throwaway certificate, access log on as the stack ships it).`,
      points,
    };
  } finally {
    await compose(['down', '-v', '--remove-orphans'], 120_000);
  }
}

/** The port Traefik's websecure entry point listens on inside its container (compose sets it by environment). */
async function websecurePort(id: string): Promise<number> {
  const r = await dockerApi<{ Config?: { Env?: string[] } }>('GET', `/containers/${id}/json`);
  const address = (r.json.Config?.Env ?? [])
    .find((e) => e.startsWith('TRAEFIK_ENTRYPOINTS_WEBSECURE_ADDRESS='))
    ?.split('=')[1];
  const port = Number(/:(\d+)$/.exec(address ?? '')?.[1] ?? 443);
  return Number.isInteger(port) && port > 0 ? port : 443;
}

async function containerIp(id: string): Promise<string | undefined> {
  const r = await dockerApi<{ NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } }>(
    'GET',
    `/containers/${id}/json`,
  );
  return Object.values(r.json.NetworkSettings?.Networks ?? {})
    .map((n) => n.IPAddress)
    .find((ip) => ip);
}
