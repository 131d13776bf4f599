// Measure 5: the runtime image — size against its Node base, and container start → healthy (median of 5).
// Two clocks per start, both from the moment the engine is asked to start the created container:
//   - /healthz answers on the published port (polled every 20 ms): when the service is really up;
//   - Docker reports the container `healthy`: what orchestrators wait for. Its first check runs one
//     HEALTHCHECK interval after start on engines without --start-interval (Docker < 25); with it (the image sets
//     --start-interval), within one start interval of listening.
// The containers run on a bridge network of the measure's own, as compose stacks do (never the default bridge).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_TOKEN } from '@mcp-stack/test-support/credentials';
import { imageFor } from '@mcp-stack/test-support/pins';
import { serviceImageBuildArgs } from '@mcp-stack/test-support/service-image';
import { dockerApi, dockerUnavailable, imageSize } from '../lib/docker.ts';
import { REPO_DIR } from '../lib/paths.ts';
import { run } from '../lib/proc.ts';
import type { ContainerResult, NotMeasured } from '../lib/results.ts';

const RUNS = 5;
const HOST_PORT = 8301;
const BASE_IMAGE = process.env.BENCH_BASE_IMAGE ?? imageFor('NODE_IMAGE');
const IMAGE = process.env.BENCH_IMAGE ?? 'mcp-stack/mcp:bench';

export async function measureContainer(log: (line: string) => void): Promise<ContainerResult | NotMeasured> {
  const noDocker = await dockerUnavailable();
  if (noDocker) return { measured: false, reason: noDocker };
  const baseBytes = await imageSize(BASE_IMAGE);
  if (baseBytes === undefined)
    return {
      measured: false,
      reason: `the base image ${BASE_IMAGE} is not on this engine (make images-offline builds it)`,
    };

  if (!process.env.BENCH_IMAGE) {
    // Build the runtime target as CI does; layer cache makes repeat runs quick. Not part of any figure.
    log(`  building ${IMAGE} (services/mcp/Dockerfile, target runtime)`);
    const built = await run('docker', serviceImageBuildArgs(IMAGE, BASE_IMAGE), {
      cwd: REPO_DIR,
      pin: false,
      timeoutMs: 600_000,
    });
    if (built.code !== 0)
      return {
        measured: false,
        reason: `docker build of the service image failed: ${(built.stderr || built.stdout).trim().split('\n').slice(-3).join(' ')}`,
      };
  }
  const imageBytes = await imageSize(IMAGE);
  if (imageBytes === undefined) return { measured: false, reason: `image ${IMAGE} not found` };
  const inspect = await dockerApi<{
    Config?: { Healthcheck?: { Test?: string[]; Interval?: number; StartPeriod?: number; StartInterval?: number } };
  }>('GET', `/images/${encodeURIComponent(IMAGE)}/json`);
  const hc = inspect.json.Config?.Healthcheck;
  const startProbes = hc?.StartInterval ? `, every ${hc.StartInterval / 1e9} s until healthy within it` : '';
  const healthcheck = hc?.Test
    ? `image HEALTHCHECK every ${(hc.Interval ?? 30e9) / 1e9} s (start period ${(hc.StartPeriod ?? 0) / 1e9} s${startProbes}): ${hc.Test.slice(1).join(' ').slice(0, 80)}…`
    : 'the image has no HEALTHCHECK';
  const version = await dockerApi<{ Version?: string }>('GET', '/version');

  const network = `mcp-bench-start-${process.pid}`;
  const madeNetwork = await dockerApi<{ Id?: string; message?: string }>('POST', '/networks/create', {
    Name: network,
    Driver: 'bridge',
  });
  if (!madeNetwork.json.Id)
    return {
      measured: false,
      reason: `could not create the network ${network}: ${madeNetwork.json.message ?? madeNetwork.status}`,
    };
  try {
    return await startRuns(network, log, {
      image: IMAGE,
      baseImage: BASE_IMAGE,
      imageBytes,
      baseImageBytes: baseBytes,
      healthcheck: `${healthcheck} Docker Engine ${version.json.Version ?? '?'}.`,
    });
  } finally {
    await dockerApi('DELETE', `/networks/${network}`);
  }
}

async function startRuns(
  network: string,
  log: (line: string) => void,
  about: Omit<ContainerResult, 'measured' | 'startToListeningMs' | 'startToHealthyMs'>,
): Promise<ContainerResult | NotMeasured> {
  const listening: number[] = [];
  const healthy: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const created = await dockerApi<{ Id?: string; message?: string }>(
      'POST',
      `/containers/create?name=mcp-bench-start-${process.pid}-${i}`,
      {
        Image: IMAGE,
        Env: [
          'APP_ENV=production',
          `MCP_AUTH_TOKEN=${TEST_TOKEN}`,
          'LOG_LEVEL=warn',
          'OLLAMA_BASE_URL=http://127.0.0.1:9',
          'OLLAMA_MODEL=mcp-stack-tiny',
        ],
        ExposedPorts: { '8000/tcp': {} },
        HostConfig: {
          NetworkMode: network,
          PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(HOST_PORT) }] },
        },
      },
    );
    const id = created.json.Id;
    if (!id)
      return {
        measured: false,
        reason: `could not create a container from ${IMAGE}: ${created.json.message ?? created.status}`,
      };
    try {
      const t0 = performance.now();
      const started = await dockerApi<{ message?: string }>('POST', `/containers/${id}/start`);
      if (started.status >= 300)
        return {
          measured: false,
          reason: `container did not start: HTTP ${started.status} ${started.json?.message ?? ''}`.trim(),
        };
      let upAt: number | undefined;
      let healthyAt: number | undefined;
      const deadline = t0 + 90_000;
      const pollHttp = (async () => {
        while (upAt === undefined && performance.now() < deadline) {
          try {
            const r = await fetch(`http://127.0.0.1:${HOST_PORT}/healthz`, { signal: AbortSignal.timeout(500) });
            await r.arrayBuffer();
            if (r.ok) upAt = performance.now() - t0;
          } catch {
            // not up yet
          }
          if (upAt === undefined) await sleep(20);
        }
      })();
      const pollHealth = (async () => {
        while (healthyAt === undefined && performance.now() < deadline) {
          const r = await dockerApi<{ State?: { Health?: { Status?: string }; Running?: boolean } }>(
            'GET',
            `/containers/${id}/json`,
          );
          if (r.json.State?.Health?.Status === 'healthy') healthyAt = performance.now() - t0;
          else if (r.json.State?.Running === false) throw new Error('the container exited during start');
          else await sleep(50);
        }
      })();
      await Promise.all([pollHttp, pollHealth]);
      if (upAt === undefined || healthyAt === undefined)
        return { measured: false, reason: `container not healthy within 90 s (run ${i + 1})` };
      listening.push(upAt);
      healthy.push(healthyAt);
      log(
        `  start ${i + 1}: /healthz after ${(upAt / 1000).toFixed(2)} s, healthy after ${(healthyAt / 1000).toFixed(2)} s`,
      );
    } finally {
      await dockerApi('DELETE', `/containers/${id}?force=true`);
    }
  }
  return { measured: true, ...about, startToListeningMs: listening, startToHealthyMs: healthy };
}
