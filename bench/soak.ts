// make soak: hold many idle streams through the real Traefik, drain under SIGTERM, and abandon many sessions,
// with production's memory limits. Not part of `make test` (CPU heavy, minutes long). Writes
// bench/results/soak.{md,json} with the figures measured (and the durations actually run).
//
// Layout (loopback only, nothing published): the Traefik image with the entry-point settings of
// compose.base.yaml and a file-provider route, in a container limited like compose.prod.yaml (256 MiB unless
// --traefik-memory); the service (this worktree's src/main.ts) in a node:24 container limited to --mcp-memory;
// both on the host network namespace bound to 127.0.0.1. The LLM is the OpenAI wire stand-in of the service tests
// (services/mcp/test/helpers/fake-openai.ts), slowed so calls stay in flight.
//
//   node bench/soak.ts [--streams 10000] [--hold-minutes 10] [--drain-streams 1000] [--drain-calls 100]
//                      [--sessions 100000] [--idle-seconds 60] [--traefik-memory 256m] [--mcp-memory 512m]
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { imageFor } from '@mcp-stack/test-support/pins';
import { startFakeOpenAi } from '../services/mcp/test/helpers/fake-openai.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    streams: { type: 'string', default: '10000' },
    'hold-minutes': { type: 'string', default: '10' },
    'drain-streams': { type: 'string', default: '1000' },
    'drain-calls': { type: 'string', default: '100' },
    sessions: { type: 'string', default: '100000' },
    'idle-seconds': { type: 'string', default: '60' },
    'traefik-memory': { type: 'string', default: '256m' },
    'mcp-memory': { type: 'string', default: '512m' },
    'traefik-image': { type: 'string', default: imageFor('TRAEFIK_IMAGE') },
    'node-image': { type: 'string', default: imageFor('NODE_IMAGE') },
  },
});
const N = {
  streams: Number(opts.streams),
  holdMs: Number(opts['hold-minutes']) * 60_000,
  drainStreams: Number(opts['drain-streams']),
  drainCalls: Number(opts['drain-calls']),
  sessions: Number(opts.sessions),
  idleSeconds: Number(opts['idle-seconds']),
};
const tag = `soak${process.pid}`;
const token = randomBytes(24).toString('hex');
const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...args: unknown[]) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...args);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function docker(args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 1 << 26 });
  return stdout.trim();
}

/** Container memory in bytes as the kernel counts it against the limit (docker stats). */
async function containerMemory(name: string): Promise<number> {
  const raw = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', name]).catch(() => '');
  const match = /^([\d.]+)\s*([KMG]i?B|B)/.exec(raw);
  if (!match) return Number.NaN;
  const unit = { B: 1, KiB: 1024, KB: 1000, MiB: MiB, MB: 1e6, GiB: 2 ** 30, GB: 1e9 }[match[2] as 'B'] ?? 1;
  return Number(match[1]) * unit;
}

async function state(name: string): Promise<{ running: boolean; oomKilled: boolean; exitCode: number }> {
  const raw = await docker([
    'inspect',
    '--format',
    '{{.State.Running}} {{.State.OOMKilled}} {{.State.ExitCode}}',
    name,
  ]);
  const [running, oom, code] = raw.split(' ');
  return { running: running === 'true', oomKilled: oom === 'true', exitCode: Number(code) };
}

const results: Record<string, unknown> = { startedAt: new Date().toISOString(), parameters: { ...opts } };
const containers: string[] = [];

async function main() {
  const certDir = mkdtempSync(join(tmpdir(), `${tag}-certs-`));
  spawnSync('bash', ['scripts/certs.sh', certDir], {
    cwd: ROOT,
    env: { ...process.env, CERTS_TOOL: 'openssl' },
    stdio: 'ignore',
  });
  const ca = readFileSync(join(certDir, 'ca.crt'));
  const fake = await startFakeOpenAi({
    host: '127.0.0.1',
    tokenDelayMs: 300,
    reply: Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '),
  });
  const apiKey = `sk-soak-${randomBytes(8).toString('hex')}`;
  const [svcPort, edgePort] = [await freePort(), await freePort()];

  // ---------------------------------------------------------------- the service, limited like compose.prod.yaml
  const startService = async (name: string, extra: Record<string, string>) => {
    const env: Record<string, string> = {
      APP_ENV: 'production',
      PORT: String(svcPort),
      MCP_BIND_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      MCP_AUTH_TOKEN: token,
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: apiKey,
      OPENAI_MODEL: 'gpt-4o-mini',
      MCP_ALLOWED_HOSTS: 'mcp.localhost,127.0.0.1',
      MCP_PUBLIC_URL: 'https://mcp.localhost/mcp',
      MCP_TRUST_PROXY: '1',
      // One client address opens every stream here; the per-client limit would be the first to answer.
      MCP_RATE_LIMIT_PER_MINUTE: '0',
      SHUTDOWN_GRACE_SECONDS: '20',
      ...extra,
    };
    containers.push(name);
    await docker([
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '--init',
      '--memory',
      opts['mcp-memory']!,
      '--memory-swap',
      opts['mcp-memory']!,
      '--cpus',
      '1',
      '--user',
      '1000:1000',
      '-v',
      `${ROOT}:/app:ro`,
      '-w',
      '/app/services/mcp',
      ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      opts['node-image']!,
      'node',
      'src/main.ts',
    ]);
    for (let i = 0; i < 120; i++) {
      const ok = await fetch(`http://127.0.0.1:${svcPort}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(500);
    }
    throw new Error(`${name} did not become healthy:\n${await docker(['logs', name])}`);
  };

  // ---------------------------------------------------------------- Traefik with compose.base.yaml's entry point
  const dynDir = mkdtempSync(join(tmpdir(), `${tag}-dyn-`));
  chmodSync(dynDir, 0o755); // Traefik runs as 65532
  writeFileSync(
    join(dynDir, 'route.yml'),
    [
      'http:',
      '  routers:',
      '    mcp: { rule: "Host(`mcp.localhost`)", entryPoints: [websecure], service: mcp, tls: {} }',
      '  services:',
      `    mcp: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${svcPort}" }] } }`,
      'tls:',
      '  certificates:',
      '    - { certFile: /certs/tls.crt, keyFile: /certs/tls.key }',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const traefik = `${tag}-traefik`;
  containers.push(traefik);
  await docker([
    'run',
    '-d',
    '--name',
    traefik,
    '--network',
    'host',
    '--memory',
    opts['traefik-memory']!,
    '--memory-swap',
    opts['traefik-memory']!,
    '--cpus',
    '1',
    '--user',
    '65532:65532',
    '-v',
    `${dynDir}:/etc/traefik/dynamic:ro`,
    '-v',
    `${certDir}:/certs:ro`,
    '-e',
    'TRAEFIK_LOG_LEVEL=ERROR',
    '-e',
    `TRAEFIK_ENTRYPOINTS_WEBSECURE_ADDRESS=127.0.0.1:${edgePort}`,
    '-e',
    'TRAEFIK_ENTRYPOINTS_WEBSECURE_HTTP_TLS=true',
    '-e',
    'TRAEFIK_ENTRYPOINTS_WEBSECURE_TRANSPORT_RESPONDINGTIMEOUTS_READTIMEOUT=0s',
    '-e',
    'TRAEFIK_ENTRYPOINTS_WEBSECURE_TRANSPORT_RESPONDINGTIMEOUTS_WRITETIMEOUT=0s',
    '-e',
    'TRAEFIK_ENTRYPOINTS_WEBSECURE_TRANSPORT_RESPONDINGTIMEOUTS_IDLETIMEOUT=180s',
    '-e',
    'TRAEFIK_SERVERSTRANSPORT_FORWARDINGTIMEOUTS_IDLECONNTIMEOUT=90s',
    '-e',
    'TRAEFIK_PROVIDERS_FILE_DIRECTORY=/etc/traefik/dynamic',
    opts['traefik-image']!,
  ]);

  const edgeAgent = new HttpsAgent({ ca, keepAlive: false, maxSockets: Infinity });
  /** One TLS connection per stream, as a fleet of separate clients would open them. */
  const openStream = (): Promise<{ ended: Promise<'clean' | 'error'>; close(): void; status: number }> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: edgePort,
          servername: 'mcp.localhost',
          path: '/sse',
          agent: edgeAgent,
          headers: { Host: 'mcp.localhost', Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
        },
        (res) => {
          req.setTimeout(0);
          const ended = new Promise<'clean' | 'error'>((done) => {
            res.on('end', () => done('clean'));
            res.on('error', () => done('error'));
            res.on('aborted', () => done('error'));
          });
          res.resume();
          resolve({ ended, close: () => req.destroy(), status: res.statusCode ?? 0 });
        },
      );
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error('no response headers within 30 s')));
      req.end();
    });

  const openMany = async (count: number) => {
    const streams: Awaited<ReturnType<typeof openStream>>[] = [];
    let failed = 0;
    const statuses: Record<number, number> = {};
    for (let i = 0; i < count; i += 100) {
      const batch = await Promise.allSettled(Array.from({ length: Math.min(100, count - i) }, () => openStream()));
      for (const r of batch) {
        if (r.status === 'fulfilled') {
          statuses[r.value.status] = (statuses[r.value.status] ?? 0) + 1;
          if (r.value.status === 200) streams.push(r.value);
          else failed++;
        } else failed++;
      }
    }
    return { streams, failed, statuses };
  };

  // ---------------------------------------------------------------- phase 1: idle streams held
  await startService(`${tag}-mcp`, { MCP_MAX_SESSIONS: String(N.streams + 1000), MCP_KEEPALIVE_SECONDS: '15' });
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: edgePort }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  for (let i = 0; i < 60 && !(await listening()); i++) await sleep(500);
  await sleep(2000);
  // Each stream costs Traefik two descriptors (client and upstream): its open-files limit caps the streams.
  results.openFilesLimit = {
    traefik: await docker(['exec', traefik, 'sh', '-c', 'ulimit -n']).catch(() => 'unknown'),
    mcp: await docker(['exec', `${tag}-mcp`, 'sh', '-c', 'ulimit -n']).catch(() => 'unknown'),
  };
  const base = { traefik: await containerMemory(traefik), mcp: await containerMemory(`${tag}-mcp`) };
  log('baseline MiB', base.traefik / MiB, base.mcp / MiB);
  const opened = Date.now();
  const hold = await openMany(N.streams);
  log(
    `opened ${hold.streams.length}/${N.streams} streams in ${((Date.now() - opened) / 1000).toFixed(0)} s, statuses`,
    hold.statuses,
  );
  let dropped = 0;
  for (const s of hold.streams) void s.ended.then(() => dropped++);
  const samples: { at: number; traefik: number; mcp: number; dropped: number }[] = [];
  const holdStart = Date.now();
  while (Date.now() - holdStart < N.holdMs) {
    samples.push({
      at: Math.round((Date.now() - holdStart) / 1000),
      traefik: await containerMemory(traefik),
      mcp: await containerMemory(`${tag}-mcp`),
      dropped,
    });
    log('hold', samples.at(-1));
    await sleep(Math.min(30_000, N.holdMs / 4));
  }
  const peak = { traefik: Math.max(...samples.map((s) => s.traefik)), mcp: Math.max(...samples.map((s) => s.mcp)) };
  const phase1 = {
    streamsRequested: N.streams,
    streamsOpen: hold.streams.length,
    openStatuses: hold.statuses,
    openFailures: hold.failed,
    heldSeconds: Math.round((Date.now() - holdStart) / 1000),
    dropped,
    traefikState: await state(traefik),
    mcpState: await state(`${tag}-mcp`),
    baselineMiB: { traefik: +(base.traefik / MiB).toFixed(1), mcp: +(base.mcp / MiB).toFixed(1) },
    peakMiB: { traefik: +(peak.traefik / MiB).toFixed(1), mcp: +(peak.mcp / MiB).toFixed(1) },
    perStreamKiB: {
      traefik: +((peak.traefik - base.traefik) / Math.max(1, hold.streams.length) / 1024).toFixed(1),
      mcp: +((peak.mcp - base.mcp) / Math.max(1, hold.streams.length) / 1024).toFixed(1),
    },
    samples,
  };
  results.idleStreams = phase1;
  log('phase 1', { ...phase1, samples: undefined });
  for (const s of hold.streams) s.close();
  await sleep(3000);

  // ---------------------------------------------------------------- phase 2: SIGTERM with streams and calls in flight
  const drain = await openMany(N.drainStreams);
  const callAgent = new HttpsAgent({ ca, keepAlive: true, maxSockets: N.drainCalls });
  const calls = Array.from(
    { length: N.drainCalls },
    () =>
      new Promise<number>((resolve) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: edgePort,
            servername: 'mcp.localhost',
            path: '/api/tools/ask',
            method: 'POST',
            agent: callAgent,
            headers: { Host: 'mcp.localhost', Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', () => resolve(-1));
          },
        );
        req.on('error', () => resolve(-1));
        req.end(JSON.stringify({ question: 'soak' }));
      }),
  );
  // Signal only once every call is at the stand-in LLM (which answers token by token for ~12 s): they are all
  // in flight, none still queued in front of the service (those would get the drain's 503).
  const atLlm = () => fake.requests.filter((r) => r.path.includes('chat') && r.status === 0).length;
  for (let waited = 0; waited < 120_000 && atLlm() < N.drainCalls; waited += 250) await sleep(250);
  const inFlight = atLlm();
  const termAt = Date.now();
  await docker(['kill', '--signal', 'TERM', `${tag}-mcp`]);
  const exitCode = Number(await docker(['wait', `${tag}-mcp`]));
  const exitSeconds = (Date.now() - termAt) / 1000;
  const endings = await Promise.all(
    drain.streams.map((s) => Promise.race([s.ended, sleep(5000).then(() => 'open' as const)])),
  );
  const callStatuses = await Promise.all(calls);
  const count = <T>(items: T[]) => {
    const counts: Record<string, number> = {};
    for (const v of items) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
    return counts;
  };
  results.sigterm = {
    streams: drain.streams.length,
    callsStarted: N.drainCalls,
    callsAtTheLlmWhenSignalled: inFlight,
    exitCode,
    exitSeconds: +exitSeconds.toFixed(1),
    graceSeconds: 20,
    streamEndings: count(endings),
    callStatuses: count(callStatuses),
    fiveHundreds: callStatuses.filter((s) => s >= 500).length,
  };
  log('phase 2', results.sigterm);

  // ---------------------------------------------------------------- phase 3: abandoned sessions and RSS
  await startService(`${tag}-mcp2`, {
    MCP_MAX_SESSIONS: String(N.sessions + 1000),
    MCP_SESSION_IDLE_SECONDS: String(N.idleSeconds),
  });
  const direct = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const rss = async () => {
    const text = await new Promise<string>((resolve, reject) => {
      httpRequest(
        {
          host: '127.0.0.1',
          port: svcPort,
          path: '/metrics',
          agent: direct,
          headers: { Authorization: `Bearer ${token}`, Host: '127.0.0.1' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve(body));
        },
      )
        .on('error', reject)
        .end();
    });
    const get = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    return {
      rss: get('process_resident_memory_bytes'),
      heap: get('nodejs_heap_size_used_bytes'),
      sessions: get('mcp_sessions_open'),
    };
  };
  const initBody = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'soak', version: '1' } },
  });
  const initialize = () =>
    new Promise<number>((resolve) => {
      httpRequest(
        {
          host: '127.0.0.1',
          port: svcPort,
          path: '/mcp',
          method: 'POST',
          agent: direct,
          headers: {
            Host: '127.0.0.1',
            Authorization: `Bearer ${token}`,
            'Content-Type': 'application/json',
            Accept: 'application/json, text/event-stream',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      )
        .on('error', () => resolve(-1))
        .end(initBody);
    });
  // Warm-up, so the baseline is a running service rather than a cold one.
  for (let i = 0; i < 2000; i += 50) await Promise.all(Array.from({ length: 50 }, initialize));
  await sleep((N.idleSeconds + 35) * 1000);
  const baseline = await rss();
  const made = Date.now();
  const statuses: number[] = [];
  for (let i = 0; i < N.sessions; i += 50)
    statuses.push(...(await Promise.all(Array.from({ length: 50 }, initialize))));
  const afterCreate = await rss();
  log('sessions created', N.sessions, 'in', (Date.now() - made) / 1000, 's', afterCreate);
  await sleep((N.idleSeconds + 35) * 1000);
  const afterIdle = await rss();
  results.abandonedSessions = {
    sessions: N.sessions,
    createSeconds: +((Date.now() - made) / 1000).toFixed(0),
    statuses: count(statuses),
    idleSeconds: N.idleSeconds,
    baselineMiB: +(baseline.rss / MiB).toFixed(1),
    peakMiB: +(afterCreate.rss / MiB).toFixed(1),
    afterIdleMiB: +(afterIdle.rss / MiB).toFixed(1),
    // V8 keeps the RSS it grew; the used heap says whether the sessions' objects were actually freed.
    heapUsedMiB: {
      baseline: +(baseline.heap / MiB).toFixed(1),
      peak: +(afterCreate.heap / MiB).toFixed(1),
      afterIdle: +(afterIdle.heap / MiB).toFixed(1),
    },
    sessionsOpenAtPeak: afterCreate.sessions,
    sessionsOpenAfterIdle: afterIdle.sessions,
    withinTenPercent: afterIdle.rss <= baseline.rss * 1.1,
    perSessionKiB: +((afterCreate.rss - baseline.rss) / N.sessions / 1024).toFixed(2),
    state: await state(`${tag}-mcp2`),
  };
  log('phase 3', results.abandonedSessions);
  await fake.close();
}

function report(): void {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  results.finishedAt = new Date().toISOString();
  writeFileSync(join(dir, 'soak.json'), `${JSON.stringify(results, null, 2)}\n`);
  // biome-ignore lint/suspicious/noExplicitAny: the report reads back the phase records this script wrote above
  type PhaseRecord = Record<string, any>;
  const p1 = results.idleStreams as PhaseRecord | undefined;
  const p2 = results.sigterm as PhaseRecord | undefined;
  const p3 = results.abandonedSessions as PhaseRecord | undefined;
  const lines = [
    '# Soak (`make soak`)',
    '',
    `Run ${results.startedAt} to ${results.finishedAt}; parameters: \`${JSON.stringify(results.parameters)}\`.`,
    'Real Traefik (compose.base.yaml entry point, TLS, HTTP/1.1, one connection per stream) in front of the service',
    '(src/main.ts in node:24, APP_ENV=production), each in a container with the memory limit given; loopback only.',
    `Open-files limit in the containers: ${JSON.stringify(results.openFilesLimit ?? 'unknown')} (Traefik needs two per stream).`,
    '',
    p1
      ? `## Idle streams\n\n${p1.streamsOpen}/${p1.streamsRequested} opened (statuses ${JSON.stringify(p1.openStatuses)}), held ${p1.heldSeconds} s, dropped ${p1.dropped}. ` +
        `Traefik ${p1.baselineMiB.traefik} -> ${p1.peakMiB.traefik} MiB (${p1.perStreamKiB.traefik} KiB/stream), service ${p1.baselineMiB.mcp} -> ${p1.peakMiB.mcp} MiB ` +
        `(${p1.perStreamKiB.mcp} KiB/stream). OOM-killed: Traefik ${p1.traefikState.oomKilled}, service ${p1.mcpState.oomKilled}.`
      : '## Idle streams\n\nnot reached',
    '',
    p2
      ? `## SIGTERM\n\n${p2.streams} open streams, ${p2.callsStarted} calls started (${p2.callsAtTheLlmWhenSignalled} at the LLM when signalled): exit ${p2.exitCode} after ${p2.exitSeconds} s ` +
        `(grace ${p2.graceSeconds} s); stream endings ${JSON.stringify(p2.streamEndings)}; call statuses ${JSON.stringify(p2.callStatuses)}; answers >= 500: ${p2.fiveHundreds}.`
      : '## SIGTERM\n\nnot reached',
    '',
    p3
      ? `## Abandoned sessions\n\n${p3.sessions} sessions opened in ${p3.createSeconds} s (statuses ${JSON.stringify(p3.statuses)}), idle TTL ${p3.idleSeconds} s: RSS ${p3.baselineMiB} -> ${p3.peakMiB} MiB ` +
        `(${p3.perSessionKiB} KiB/session) -> ${p3.afterIdleMiB} MiB after the TTL; sessions still open ${p3.sessionsOpenAfterIdle}; within 10% of baseline: ${p3.withinTenPercent}.`
      : '## Abandoned sessions\n\nnot reached',
    '',
  ];
  writeFileSync(join(dir, 'soak.md'), lines.join('\n'));
}

try {
  await main();
} catch (error) {
  results.error = String((error as Error).stack ?? error);
  console.error(error);
  process.exitCode = 1;
} finally {
  report();
  for (const name of containers) await docker(['rm', '-f', name]).catch(() => undefined);
  log('results in bench/results/soak.{md,json}');
  process.exit();
}
