// make bench: our service against the bare SDK of each mode, the Python peer (FastMCP) and a raw node:http
// ceiling, side by side in one run on this machine. Writes bench/results/latest.{json,md} (raw wrk output, logs
// and CPU profiles under results/raw/). The performance targets (issue 15) are reported as met or missed, never
// asserted: the run fails only when it cannot measure.
//
//   node bench/run.ts                  everything (≈ 13–15 min on 2 cores)
//   BENCH_ONLY=throughput,memory ...   a subset while working on one part (throughput, profile, memory,
//                                      first-event, traefik, container, token)
//   BENCH_MODES=2026,legacy            only the throughput modes whose name starts with one of these
//   BENCH_QUICK=1                      short points, 1,000 instead of 10,000 streams, 20,000-request leak check
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { summarizeProfile } from './lib/cpuprofile.ts';
import { applyLoad, prepare } from './lib/load.ts';
import { machineInfo } from './lib/machine.ts';
import { RAW_DIR, RESULTS_DIR, SERVICE_DIR } from './lib/paths.ts';
import { run } from './lib/proc.ts';
import { markdown, verdictOf, verdicts } from './lib/report.ts';
import type { Results } from './lib/results.ts';
import { measureContainer } from './measures/container.ts';
import { discoverOurs } from './measures/discover.ts';
import { measureInitialize, measureSseFirstEvent, SAMPLES } from './measures/first-event.ts';
import { COUNTS, measureIdleSessions, measureOpenStreams } from './measures/memory.ts';
import { type ModeSpec, measureMode } from './measures/throughput.ts';
import { measureTokenLatency } from './measures/token-latency.ts';
import { measureTraefik } from './measures/traefik.ts';
import {
  bareLegacySse,
  bareSession,
  bareStateless,
  ceiling,
  fastmcpMissing,
  fastmcpPeer,
  oursDefault,
  oursLean,
  oursStateless,
  sdkFloor,
  setBenchCall,
  type Target,
} from './targets.ts';

const started = performance.now();
const quick = process.env.BENCH_QUICK === '1';
const only = new Set(
  (process.env.BENCH_ONLY ?? 'throughput,profile,memory,first-event,traefik,container,token')
    .split(',')
    .map((s) => s.trim()),
);
const modePrefixes = process.env.BENCH_MODES?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const timing = {
  warmupS: Number(process.env.BENCH_WARMUP_S ?? (quick ? 1 : 2)),
  durationS: Number(process.env.BENCH_DURATION_S ?? (quick ? 3 : 4)),
  rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3)),
  leakRequests: Number(process.env.BENCH_LEAK_REQUESTS ?? (quick ? 20_000 : 100_000)),
  leakMaxS: Number(process.env.BENCH_LEAK_MAX_S ?? (quick ? 30 : 120)),
};
if (quick) COUNTS.splice(0, COUNTS.length, 1_000);

const log = (line: string) => console.log(line);
const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;

for (const tool of ['wrk', 'taskset']) {
  const found = await run('sh', ['-c', `command -v ${tool}`], { pin: false });
  if (found.code !== 0) {
    console.error(`bench: ${tool} is missing. Install it: apt-get install -y wrk util-linux`);
    process.exit(2);
  }
}

const results: Results = {
  date: new Date().toISOString(),
  wallSeconds: 0,
  machine: await machineInfo(),
  settings: { ...timing, concurrencies: [1, 16, 64], memoryCounts: [...COUNTS], firstEventSamples: SAMPLES, quick },
  notes: [],
  throughput: [],
  leaks: [],
  memory: [],
  firstEvent: [],
  traefik: { measured: false, reason: 'not run (BENCH_ONLY)' },
  container: { measured: false, reason: 'not run (BENCH_ONLY)' },
  tokenLatency: { measured: false, reason: 'not run (BENCH_ONLY)' },
  profile: { measured: false, reason: 'not run (BENCH_ONLY)' },
  notMeasured: [],
  targets: [],
};

// ---------------------------------------------------------------- is our service there?
let oursAvailable = existsSync(join(SERVICE_DIR, 'src', 'main.ts'));
let sessionReplies: 'sse' | 'json' = 'sse';
if (!oursAvailable) {
  results.notMeasured.push({
    measure: 'every "ours" row',
    reason: 'services/mcp/src/main.ts does not exist yet; only the baselines were measured',
  });
} else {
  try {
    const found = await discoverOurs(oursDefault);
    setBenchCall(found.call);
    sessionReplies = found.sessionReplies;
    results.oursToolCall = found.description;
    log(`ours: ${found.description}; 2025 session replies as ${found.sessionReplies}`);
  } catch (error) {
    oursAvailable = false;
    results.notMeasured.push({
      measure: 'every "ours" row',
      reason: `the service did not start or answer: ${(error as Error).message}`,
    });
    log(`ours unavailable: ${(error as Error).message}`);
  }
}
const withOurs = (targets: Target[], ...ours: Target[]) => (oursAvailable ? [...targets, ...ours] : targets);
const peerMissing = fastmcpMissing();
if (peerMissing) results.notMeasured.push({ measure: 'the FastMCP peer rows', reason: peerMissing });
const peer = peerMissing ? [] : [fastmcpPeer];

// ---------------------------------------------------------------- 1. throughput
if (only.has('throughput')) {
  const modes: ModeSpec[] = [
    { mode: 'ceiling', protocol: 'plain', targets: [ceiling] },
    {
      mode: '2026-07-28 stateless',
      protocol: 'modern',
      targets: withOurs([bareStateless, sdkFloor, ...peer], oursDefault, oursLean),
      leakCheck: oursAvailable ? [oursDefault] : [],
    },
    {
      mode: '2025 session',
      protocol: 'session',
      targets: withOurs([bareSession(sessionReplies)], oursDefault, oursLean),
      leakCheck: oursAvailable ? [oursDefault] : [],
    },
    {
      mode: 'legacy SSE',
      protocol: 'sse',
      targets: withOurs([bareLegacySse], oursDefault, oursLean),
      leakCheck: oursAvailable ? [oursDefault] : [],
    },
    {
      mode: '2025 stateless',
      protocol: 'stateless2025',
      targets: withOurs([bareStateless, ...peer], oursStateless),
      leakCheck: oursAvailable ? [oursStateless] : [],
    },
  ];
  for (const spec of modes) {
    if (modePrefixes && !modePrefixes.some((prefix) => spec.mode.startsWith(prefix))) continue;
    log(`[${elapsed()}] throughput: ${spec.mode}`);
    const { points, leaks } = await measureMode(spec, timing, log);
    results.throughput.push(...points);
    results.leaks.push(...leaks);
  }
}

// ---------------------------------------------------------------- where the CPU goes (ours, 2026-07-28, c=16)
if (only.has('profile') && oursAvailable) {
  log(`[${elapsed()}] CPU profile: ours, 2026-07-28 stateless, c=16`);
  const dir = join(RAW_DIR, `profile-ours-modern-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const seconds = quick ? 4 : 8;
  const server = await oursDefault.start({}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  let how = '';
  try {
    const p = await prepare(oursDefault, server, 'modern');
    await applyLoad(p, 16, timing.warmupS, 'profile-ours-warmup');
    const r = await applyLoad(p, 16, seconds, 'profile-ours');
    how = `ours (default config) under c=16 2026-07-28 tools/call for ${seconds} s with node --cpu-prof: ${r.rps.toFixed(0)} req/s while profiled.`;
  } finally {
    await server.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file) {
    const s = summarizeProfile(join(dir, file), [], 15);
    results.profile = {
      measured: true,
      how,
      totalMs: s.totalMs,
      byPackage: s.byPackage.slice(0, 10),
      byFunction: s.byFunction.slice(0, 15),
    };
    for (const row of s.byPackage.slice(0, 6)) log(`  ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}`);
  } else results.profile = { measured: false, reason: `no profile written in ${dir}` };
}

// ---------------------------------------------------------------- 3. memory
if (only.has('memory')) {
  log(`[${elapsed()}] memory: idle sessions`);
  for (const target of withOurs([bareSession(sessionReplies)], oursDefault))
    results.memory.push(...(await measureIdleSessions(target, log)));
  for (const state of ['opened', 'initialized'] as const) {
    log(`[${elapsed()}] memory: ${state} streams`);
    for (const target of withOurs([bareLegacySse], oursDefault))
      results.memory.push(...(await measureOpenStreams(target, log, state)));
  }
  // Only ours releases an idle stream's server (the bare SDK keeps it while the stream is open).
  log(`[${elapsed()}] memory: idle streams (initialized, then their servers released)`);
  for (const target of withOurs([], oursDefault))
    results.memory.push(...(await measureOpenStreams(target, log, 'idle')));
}

// ---------------------------------------------------------------- 4. first event
if (only.has('first-event')) {
  log(`[${elapsed()}] first-event latency`);
  for (const target of withOurs([bareLegacySse], oursDefault)) {
    const server = await target.start();
    try {
      results.firstEvent.push(await measureSseFirstEvent(target));
    } finally {
      await server.stop();
    }
  }
  for (const target of withOurs([bareSession(sessionReplies)], oursDefault)) {
    const server = await target.start();
    try {
      results.firstEvent.push(await measureInitialize(target));
    } finally {
      await server.stop();
    }
  }
  for (const r of results.firstEvent)
    log(`  ${r.what.padEnd(20)} ${r.target.padEnd(18)} p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms`);
}

// ---------------------------------------------------------------- 2, 5, 6: need the stack, Docker, the test server
if (only.has('traefik')) {
  log(`[${elapsed()}] through Traefik`);
  results.traefik = await measureTraefik(timing, log);
}
if (only.has('container')) {
  log(`[${elapsed()}] container start and image size`);
  results.container = await measureContainer(log);
}
if (only.has('token')) {
  log(`[${elapsed()}] token → progress latency`);
  results.tokenLatency = oursAvailable
    ? await measureTokenLatency(log)
    : { measured: false, reason: 'the service is not available (see above)' };
}
for (const [measure, r] of [
  ['2. Traefik+TLS vs direct', results.traefik],
  ['5. container start and image size', results.container],
  ['6. token → progress latency', results.tokenLatency],
  ['CPU profile of ours', results.profile],
] as const) {
  if (!r.measured) {
    results.notMeasured.push({ measure, reason: r.reason });
    log(`  NOT MEASURED ${measure}: ${r.reason}`);
  }
}

// ---------------------------------------------------------------- output
results.machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
results.wallSeconds = (performance.now() - started) / 1000;
results.targets = verdicts(results);
writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
const table = markdown(results);
// The table lives in its own file; the README links to it rather than carrying a copy.
writeFileSync(join(RESULTS_DIR, 'latest.md'), `## Benchmarks\n\n${table}`);
log('');
for (const v of results.targets) log(`${verdictOf(v).toUpperCase().padEnd(6)}  ${v.target}: ${v.measured}`);
log(`\nbench: done in ${Math.round(results.wallSeconds)} s; wrote bench/results/latest.md and latest.json`);
