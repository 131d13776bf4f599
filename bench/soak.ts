// make soak: hold many idle streams through the real Traefik, drain under SIGTERM, and abandon many sessions,
// with production's memory limits. Not part of `make test` (CPU heavy, minutes long). Writes
// bench/results/soak.{md,json} with the figures measured (and the durations actually run).
//
// Layout (loopback only, nothing published): the Traefik image with the entry-point settings of
// compose.base.yaml and a file-provider route (with compose.base.yaml's in-flight limit), in a container limited to
// --traefik-memory; --replicas services (this worktree's src/main.ts, run as the image runs it) in node:24
// containers limited to --mcp-memory each; all on the host network namespace bound to 127.0.0.1. The defaults are
// the limits docs/capacity.md recommends for 10,000 streams on one host. The LLM is the OpenAI wire stand-in of the
// service tests (services/mcp/test/helpers/fake-openai.ts), slowed so calls stay in flight.
//
// Streams: one TLS connection (HTTP/1.1) per stream, as a fleet of separate clients opens them, except
// --h2-streams of them multiplexed over --h2-connections HTTP/2 connections. Why any over HTTP/2: Traefik holds two
// descriptors per HTTP/1.1 stream (client and upstream) and containers inherit dockerd's open-files limit; where
// that cannot be raised past 20,000 (a machine without CAP_SYS_RESOURCE), 10,000 one-connection streams cannot fit.
//
//   node bench/soak.ts [--phases 1,2,3] [--streams 10000] [--h2-streams 1000] [--hold-minutes 10] [--replicas 4]
//                      [--drain-streams 1000] [--drain-calls 100] [--sessions 100000] [--idle-seconds 60]
//                      [--traefik-memory 2112m] [--mcp-memory 384m] [--sessions-memory 2g]
// Phases not run keep their figures from the previous results file.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
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
    phases: { type: 'string', default: '1,2,3' },
    streams: { type: 'string', default: '10000' },
    'h2-streams': { type: 'string', default: '1000' },
    'h2-connections': { type: 'string', default: '10' },
    'hold-minutes': { type: 'string', default: '10' },
    replicas: { type: 'string', default: '4' },
    // Per replica: docs/capacity.md's MCP_MAX_SESSIONS for 10,000 streams on 4 replicas.
    'max-sessions': { type: 'string', default: '2500' },
    'traefik-max-inflight': { type: 'string', default: '10500' },
    'drain-streams': { type: 'string', default: '1000' },
    'drain-calls': { type: 'string', default: '100' },
    sessions: { type: 'string', default: '100000' },
    'idle-seconds': { type: 'string', default: '60' },
    'traefik-memory': { type: 'string', default: '2112m' },
    'mcp-memory': { type: 'string', default: '384m' },
    // Phase 3's one replica: its cap is --sessions + 1000, so it holds as many as arrive within the idle TTL.
    'sessions-memory': { type: 'string', default: '2g' },
    'traefik-image': { type: 'string', default: imageFor('TRAEFIK_IMAGE') },
    'node-image': { type: 'string', default: imageFor('NODE_IMAGE') },
    // Environment for the service containers, KEY=VALUE (repeatable); the default is what services/mcp/Dockerfile
    // sets besides NODE_ENV and PORT.
    'mcp-env': { type: 'string', multiple: true, default: ['MALLOC_ARENA_MAX=2'] },
  },
});
const phases = new Set(opts.phases!.split(',').map(Number));
const N = {
  streams: Number(opts.streams),
  h2Streams: Number(opts['h2-streams']),
  h2Connections: Number(opts['h2-connections']),
  replicas: Number(opts.replicas),
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

const count = <T>(items: T[]) => {
  const counts: Record<string, number> = {};
  for (const v of items) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
};
const results: Record<string, unknown> = { startedAt: new Date().toISOString(), parameters: { ...opts } };
const containers: string[] = [];
/** Temporary directories (certificates, Traefik's route), removed at the end. */
const scratch: string[] = [];

async function main() {
  const certDir = mkdtempSync(join(tmpdir(), `${tag}-certs-`));
  scratch.push(certDir);
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
  const edgePort = await freePort();
  const svcPorts: number[] = [];
  for (let i = 0; i < Math.max(1, N.replicas); i++) svcPorts.push(await freePort());
  const svcPort = svcPorts[0]!;

  // ---------------------------------------------------------------- the service, limited like compose.prod.yaml
  const startService = async (
    name: string,
    extra: Record<string, string>,
    { port = svcPort, memory = opts['mcp-memory']! }: { port?: number; memory?: string } = {},
  ) => {
    const env: Record<string, string> = {
      APP_ENV: 'production',
      PORT: String(port),
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
      ...Object.fromEntries(
        (opts['mcp-env'] ?? []).map((pair) => pair.split(/=(.*)/s).slice(0, 2) as [string, string]),
      ),
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
      memory,
      '--memory-swap',
      memory,
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
      // As services/mcp/Dockerfile's CMD runs it (--expose-gc: the reaper gives reaped sessions' memory back).
      'node',
      '--expose-gc',
      'src/main.ts',
    ]);
    for (let i = 0; i < 120; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
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
  scratch.push(dynDir);
  chmodSync(dynDir, 0o755); // Traefik runs as 65532
  // compose.base.yaml's router: the in-flight limit (TRAEFIK_MAX_INFLIGHT) per host, round robin over the replicas.
  const writeRoute = (ports: number[]) =>
    writeFileSync(
      join(dynDir, 'route.yml'),
      [
        'http:',
        '  routers:',
        '    mcp: { rule: "Host(`mcp.localhost`)", entryPoints: [websecure], service: mcp, middlewares: [inflight], tls: {} }',
        '  middlewares:',
        `    inflight: { inFlightReq: { amount: ${Number(opts['traefik-max-inflight'])}, sourceCriterion: { requestHost: true } } }`,
        '  services:',
        `    mcp: { loadBalancer: { servers: [${ports.map((port) => `{ url: "http://127.0.0.1:${port}" }`).join(', ')}] } }`,
        'tls:',
        '  certificates:',
        '    - { certFile: /certs/tls.crt, keyFile: /certs/tls.key }',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
  writeRoute(svcPorts);
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

  /** Opens `count` streams 100 at a time; tallies their statuses and keeps the ones answered 200. */
  const openInBatches = async (count: number, open: (index: number) => ReturnType<typeof openStream>) => {
    const streams: Awaited<ReturnType<typeof openStream>>[] = [];
    let failed = 0;
    const statuses: Record<number, number> = {};
    for (let i = 0; i < count; i += 100) {
      const batch = await Promise.allSettled(Array.from({ length: Math.min(100, count - i) }, (_, j) => open(i + j)));
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
  const openMany = (count: number) => openInBatches(count, () => openStream());

  /** HTTP/2 streams: --h2-connections TLS connections, the streams spread over them (Traefik multiplexes them). */
  const openH2Streams = async (count: number, connections: number) => {
    const sessions = Array.from({ length: Math.max(1, connections) }, () =>
      http2Connect(`https://127.0.0.1:${edgePort}`, { ca, servername: 'mcp.localhost' }),
    );
    for (const session of sessions) session.on('error', () => undefined);
    const openOne = (index: number) =>
      new Promise<Awaited<ReturnType<typeof openStream>>>((resolve, reject) => {
        const stream = sessions[index % sessions.length]!.request({
          ':path': '/sse',
          ':authority': 'mcp.localhost',
          authorization: `Bearer ${token}`,
          accept: 'text/event-stream',
        });
        const timer = setTimeout(() => stream.close(), 30_000);
        stream.on('error', reject);
        stream.on('response', (headers) => {
          clearTimeout(timer);
          const ended = new Promise<'clean' | 'error'>((done) => {
            stream.on('end', () => done('clean'));
            stream.on('error', () => done('error'));
            stream.on('aborted', () => done('error'));
            stream.on('close', () => done(stream.rstCode === 0 ? 'clean' : 'error'));
          });
          stream.resume();
          resolve({ ended, close: () => stream.close(), status: Number(headers[':status'] ?? 0) });
        });
        stream.end();
      });
    return {
      ...(await openInBatches(count, openOne)),
      closeConnections: () => {
        for (const s of sessions) s.destroy();
      },
    };
  };

  const replicaNames = svcPorts.map((_, i) => `${tag}-mcp${i}`);
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: edgePort }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  const edgeUp = async () => {
    for (let i = 0; i < 60 && !(await listening()); i++) await sleep(500);
    await sleep(2000);
  };
  const traefikPid = Number(await docker(['inspect', '--format', '{{.State.Pid}}', traefik]));
  const openFiles = (pid: number) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      return Number.NaN;
    }
  };
  const nofile = (pid: number) =>
    /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1];
  const sumMemory = async (names: string[]) =>
    (await Promise.all(names.map((name) => containerMemory(name)))).reduce((a, b) => a + b, 0);

  // ---------------------------------------------------------------- phase 1: idle streams held
  if (phases.has(1) || phases.has(2)) {
    await Promise.all(
      svcPorts.map((port, i) =>
        startService(
          replicaNames[i]!,
          { MCP_MAX_SESSIONS: String(Number(opts['max-sessions'])), MCP_KEEPALIVE_SECONDS: '15' },
          { port },
        ),
      ),
    );
    await edgeUp();
  }
  if (phases.has(1)) {
    const phaseStart = new Date().toISOString();
    // Each HTTP/1.1 stream costs Traefik two descriptors (client and upstream): its open-files limit caps them.
    results.openFilesLimit = {
      traefik: nofile(traefikPid),
      dockerd: nofile(Number(spawnSync('pgrep', ['-xo', 'dockerd']).stdout.toString().trim())),
    };
    const base = { traefik: await containerMemory(traefik), mcp: await sumMemory(replicaNames) };
    log('baseline MiB', base.traefik / MiB, base.mcp / MiB, 'open-files limit', results.openFilesLimit);
    const opened = Date.now();
    const h1Count = Math.max(0, N.streams - N.h2Streams);
    const hold = await openMany(h1Count);
    const h2 = await openH2Streams(Math.min(N.h2Streams, N.streams), N.h2Connections);
    const all = [...hold.streams, ...h2.streams];
    log(
      `opened ${hold.streams.length}/${h1Count} HTTP/1.1 and ${h2.streams.length}/${N.streams - h1Count} HTTP/2 streams in ${((Date.now() - opened) / 1000).toFixed(0)} s, statuses`,
      hold.statuses,
      h2.statuses,
    );
    let dropped = 0;
    for (const s of all) void s.ended.then(() => dropped++);
    const samples: { at: number; traefik: number; mcp: number; traefikOpenFiles: number; dropped: number }[] = [];
    const holdStart = Date.now();
    while (Date.now() - holdStart < N.holdMs) {
      samples.push({
        at: Math.round((Date.now() - holdStart) / 1000),
        traefik: await containerMemory(traefik),
        mcp: await sumMemory(replicaNames),
        traefikOpenFiles: openFiles(traefikPid),
        dropped,
      });
      log('hold', samples.at(-1));
      await sleep(Math.min(30_000, N.holdMs / 4));
    }
    const peak = {
      traefik: Math.max(...samples.map((s) => s.traefik)),
      mcp: Math.max(...samples.map((s) => s.mcp)),
      traefikOpenFiles: Math.max(...samples.map((s) => s.traefikOpenFiles)),
    };
    const states: Record<string, Awaited<ReturnType<typeof state>>> = {};
    for (const name of [traefik, ...replicaNames]) states[name.replace(`${tag}-`, '')] = await state(name);
    const phase1 = {
      ranAt: phaseStart,
      streamsRequested: N.streams,
      streamsOpen: all.length,
      http1Streams: { requested: h1Count, open: hold.streams.length, statuses: hold.statuses, failures: hold.failed },
      http2Streams: {
        requested: N.streams - h1Count,
        connections: N.h2Connections,
        open: h2.streams.length,
        statuses: h2.statuses,
        failures: h2.failed,
      },
      replicas: N.replicas,
      limits: {
        traefikMemory: opts['traefik-memory'],
        traefikMaxInflight: Number(opts['traefik-max-inflight']),
        mcpMemoryPerReplica: opts['mcp-memory'],
        maxSessionsPerReplica: Number(opts['max-sessions']),
      },
      heldSeconds: Math.round((Date.now() - holdStart) / 1000),
      dropped,
      states,
      oomKilled: Object.values(states).some((s) => s.oomKilled),
      allRunning: Object.values(states).every((s) => s.running),
      traefikOpenFilesPeak: peak.traefikOpenFiles,
      baselineMiB: { traefik: +(base.traefik / MiB).toFixed(1), mcp: +(base.mcp / MiB).toFixed(1) },
      peakMiB: { traefik: +(peak.traefik / MiB).toFixed(1), mcp: +(peak.mcp / MiB).toFixed(1) },
      perStreamKiB: {
        traefik: +((peak.traefik - base.traefik) / Math.max(1, all.length) / 1024).toFixed(1),
        mcp: +((peak.mcp - base.mcp) / Math.max(1, all.length) / 1024).toFixed(1),
      },
      samples,
    };
    results.idleStreams = phase1;
    log('phase 1', { ...phase1, samples: undefined });
    for (const s of all) s.close();
    h2.closeConnections();
    await sleep(3000);
  }

  // ---------------------------------------------------------------- phase 2: SIGTERM with streams and calls in flight
  if (phases.has(2)) {
    // One replica takes every stream and call, so one SIGTERM meets all of them.
    for (const name of replicaNames.slice(1)) await docker(['rm', '-f', name]);
    writeRoute([svcPort]);
    await sleep(3000);
    const drainTarget = replicaNames[0]!;
    const phaseStart = new Date().toISOString();
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
    await docker(['kill', '--signal', 'TERM', drainTarget]);
    const exitCode = Number(await docker(['wait', drainTarget]));
    const exitSeconds = (Date.now() - termAt) / 1000;
    const endings = await Promise.all(
      drain.streams.map((s) => Promise.race([s.ended, sleep(5000).then(() => 'open' as const)])),
    );
    const callStatuses = await Promise.all(calls);
    results.sigterm = {
      ranAt: phaseStart,
      streams: drain.streams.length,
      streamOpenStatuses: drain.statuses,
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
  }

  // ---------------------------------------------------------------- phase 3: abandoned sessions and RSS
  if (!phases.has(3)) return;
  for (const name of replicaNames) await docker(['rm', '-f', name]).catch(() => undefined);
  const phase3Start = new Date().toISOString();
  const sessionsService = `${tag}-sessions`;
  await startService(
    sessionsService,
    { MCP_MAX_SESSIONS: String(N.sessions + 1000), MCP_SESSION_IDLE_SECONDS: String(N.idleSeconds) },
    { memory: opts['sessions-memory']! },
  );
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
    // Summed over its label sets (mcp_sessions_open has one per transport).
    const get = (name: string) => {
      const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
      return values.length ? values.reduce((a, b) => a + b, 0) : Number.NaN;
    };
    return {
      rss: get('process_resident_memory_bytes'),
      heap: get('nodejs_heap_size_used_bytes'),
      heapTotal: get('nodejs_heap_size_total_bytes'),
      external: get('nodejs_external_memory_bytes'),
      sessions: get('mcp_sessions_open'),
      reaperGcs: get('mcp_reaper_gc_duration_seconds_count'),
      reaperGcSeconds: get('mcp_reaper_gc_duration_seconds_sum'),
      container: await containerMemory(sessionsService),
    };
  };
  type Sample = Awaited<ReturnType<typeof rss>>;
  /** Waits until the reaper closed every session and then released their memory (or `maxMs` passed). */
  const settle = async (maxMs: number): Promise<Sample> => {
    const until = Date.now() + maxMs;
    let now = await rss();
    let before = now;
    while (now.sessions > 0 && Date.now() < until) {
      await sleep(5000);
      before = now;
      now = await rss();
    }
    // The reaper's GC follows the pass that closed the last ones: at once, or at most a minute later (its
    // spacing). Counted from the sample before the last sessions went, so one that already ran is not awaited.
    for (let waited = 0; now.reaperGcs <= before.reaperGcs && waited < 90_000 && Date.now() < until; waited += 5000) {
      await sleep(5000);
      now = await rss();
    }
    await sleep(5000);
    return rss();
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
  const baseline = await settle((N.idleSeconds + 150) * 1000);
  log('baseline', baseline);
  const made = Date.now();
  const statuses: number[] = [];
  let peak = baseline;
  const peakOf = (a: Sample, b: Sample) => (b.rss > a.rss ? b : a);
  for (let i = 0; i < N.sessions; i += 50) {
    statuses.push(...(await Promise.all(Array.from({ length: 50 }, initialize))));
    if (i % 5000 === 0) {
      peak = peakOf(peak, await rss());
      log(`${i} sessions`, peak.rss / MiB);
    }
  }
  const createSeconds = (Date.now() - made) / 1000;
  const afterCreate = await rss();
  peak = peakOf(peak, afterCreate);
  log('sessions created', N.sessions, 'in', createSeconds, 's', afterCreate);
  const afterIdle = await settle((N.idleSeconds + 300) * 1000);
  const mib = (bytes: number) => +(bytes / MiB).toFixed(1);
  const parts = (sample: Sample) => ({
    rss: mib(sample.rss),
    heapUsed: mib(sample.heap),
    heapTotal: mib(sample.heapTotal),
    external: mib(sample.external),
    container: mib(sample.container),
    sessionsOpen: sample.sessions,
    reaperGcs: sample.reaperGcs,
    reaperGcPauseSeconds: +sample.reaperGcSeconds.toFixed(2),
  });
  results.abandonedSessions = {
    ranAt: phase3Start,
    sessions: N.sessions,
    createSeconds: +createSeconds.toFixed(0),
    statuses: count(statuses),
    idleSeconds: N.idleSeconds,
    memoryLimit: opts['sessions-memory'],
    // process.memoryUsage() parts (the service's /metrics) and the container's memory as docker stats counts it.
    baseline: parts(baseline),
    peak: parts(peak),
    afterIdle: parts(afterIdle),
    baselineMiB: mib(baseline.rss),
    peakMiB: mib(peak.rss),
    afterIdleMiB: mib(afterIdle.rss),
    sessionsOpenAtPeak: afterCreate.sessions,
    sessionsOpenAfterIdle: afterIdle.sessions,
    withinTenPercent: afterIdle.rss <= baseline.rss * 1.1,
    state: await state(sessionsService),
  };
  log('phase 3', results.abandonedSessions);
  await fake.close();
}

function report(): void {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  results.finishedAt = new Date().toISOString();
  // Phases not run this time keep the figures of the run that measured them (each carries its ranAt).
  const file = join(dir, 'soak.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const kept: string[] = [];
  for (const [phase, key] of [
    [1, 'idleStreams'],
    [2, 'sigterm'],
    [3, 'abandonedSessions'],
  ] as const) {
    if (!phases.has(phase) && previous[key] !== undefined) {
      results[key] = previous[key];
      kept.push(key);
    }
  }
  if (!phases.has(1) && previous.openFilesLimit !== undefined) results.openFilesLimit = previous.openFilesLimit;
  if (kept.length) results.keptFromPreviousRun = kept;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  // biome-ignore lint/suspicious/noExplicitAny: the report reads back the phase records this script wrote above
  type PhaseRecord = Record<string, any>;
  const p1 = results.idleStreams as PhaseRecord | undefined;
  const p2 = results.sigterm as PhaseRecord | undefined;
  const p3 = results.abandonedSessions as PhaseRecord | undefined;
  const when = (p: PhaseRecord) => (p.ranAt ? ` (run ${p.ranAt})` : '');
  const lines = [
    '# Soak (`make soak`)',
    '',
    `Run ${results.startedAt} to ${results.finishedAt}; parameters: \`${JSON.stringify(results.parameters)}\`.`,
    kept.length ? `Kept from an earlier run (not run this time): ${kept.join(', ')}.` : '',
    'Real Traefik (compose.base.yaml entry point and in-flight limit, TLS) in front of the service replicas',
    '(src/main.ts in node:24 as the image runs it, APP_ENV=production), each in a container with the memory limit',
    'given; loopback only. Written by bench/soak.ts; see docs/capacity.md for what the figures mean.',
    `Open-files limit: ${JSON.stringify(results.openFilesLimit ?? 'unknown')} (Traefik needs two per HTTP/1.1 stream).`,
    '',
    p1
      ? `## Idle streams${when(p1)}\n\n${p1.streamsOpen}/${p1.streamsRequested} opened: ${p1.http1Streams?.open ?? p1.streamsOpen} over HTTP/1.1, one TLS connection each ` +
        `(statuses ${JSON.stringify(p1.http1Streams?.statuses ?? p1.openStatuses)}), ${p1.http2Streams?.open ?? 0} over ${p1.http2Streams?.connections ?? 0} HTTP/2 connections ` +
        `(statuses ${JSON.stringify(p1.http2Streams?.statuses ?? {})}); ${p1.replicas ?? 1} replica(s), limits ${JSON.stringify(p1.limits ?? {})}. ` +
        `Held ${p1.heldSeconds} s, dropped ${p1.dropped}. Traefik ${p1.baselineMiB.traefik} -> ${p1.peakMiB.traefik} MiB (${p1.perStreamKiB.traefik} KiB/stream, ` +
        `${p1.traefikOpenFilesPeak ?? '?'} open files at peak), service replicas together ${p1.baselineMiB.mcp} -> ${p1.peakMiB.mcp} MiB ` +
        `(${p1.perStreamKiB.mcp} KiB/stream). OOM-killed: ${p1.oomKilled ?? 'unknown'}; all containers still running: ${p1.allRunning ?? 'unknown'}.`
      : '## Idle streams\n\nnot reached',
    '',
    p2
      ? `## SIGTERM${when(p2)}\n\n${p2.streams} open streams, ${p2.callsStarted} calls started (${p2.callsAtTheLlmWhenSignalled} at the LLM when signalled): exit ${p2.exitCode} after ${p2.exitSeconds} s ` +
        `(grace ${p2.graceSeconds} s); stream endings ${JSON.stringify(p2.streamEndings)}; call statuses ${JSON.stringify(p2.callStatuses)}; answers >= 500: ${p2.fiveHundreds}.`
      : '## SIGTERM\n\nnot reached',
    '',
    p3
      ? `## Abandoned sessions${when(p3)}\n\n${p3.sessions} sessions opened in ${p3.createSeconds} s (statuses ${JSON.stringify(p3.statuses)}), idle TTL ${p3.idleSeconds} s, ` +
        `container limit ${p3.memoryLimit ?? '?'}: RSS ${p3.baselineMiB} -> ${p3.peakMiB} MiB at the peak -> ${p3.afterIdleMiB} MiB after the TTL; ` +
        `sessions still open ${p3.sessionsOpenAfterIdle}; within 10% of baseline: ${p3.withinTenPercent}.` +
        (p3.baseline
          ? `\n\n| MiB | RSS | heap used | heap total | external | container | sessions open | reaper GCs (their pauses, s) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n` +
            (['baseline', 'peak', 'afterIdle'] as const)
              .map((k) => {
                const v = p3[k];
                return `| ${k} | ${v.rss} | ${v.heapUsed} | ${v.heapTotal} | ${v.external} | ${v.container} | ${v.sessionsOpen} | ${v.reaperGcs} (${v.reaperGcPauseSeconds}) |`;
              })
              .join('\n')
          : '')
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
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  log('results in bench/results/soak.{md,json}');
  process.exit();
}
