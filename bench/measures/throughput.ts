// Measure 1: tools/call requests/s and p50/p99 at c = 1, 16, 64 — ours against the bare SDK of the
// same mode and the raw ceiling, both servers up at once and measured alternately so drift hits both.
// Then, per mode of ours, RSS before and after 100,000 more requests (the v1 map-entry leak check).
import { applyLoad, type MeasuredLoad, type PreparedTarget, type Protocol, prepare } from '../lib/load.ts';
import { type ServerProcess, settledRss } from '../lib/proc.ts';
import type { Target } from '../targets.ts';

export const CONCURRENCIES = [1, 16, 64];

export interface ThroughputPoint extends MeasuredLoad {
  /** Requests per second of every round, in the order run (the point's figures are the median round's). */
  roundsRps: number[];
  mode: string;
  target: string;
  label: string;
  kind: Target['kind'];
  connections: number;
  toolCalled: string;
}

export interface LeakCheck {
  mode: string;
  target: string;
  requests: number;
  /** RSS once half the requests were sent: a leak keeps growing in the second half, heap sizing levels off. */
  rssMidBytes?: number;
  /** The time cap stopped the check before it reached the requested count (a starved machine). */
  cappedAfterS?: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  growth: number;
}

export interface ModeSpec {
  mode: string;
  protocol: Protocol;
  targets: Target[];
  /** Targets whose RSS is checked over 100,000 requests after the points. */
  leakCheck?: Target[];
}

export interface Timing {
  warmupS: number;
  durationS: number;
  /** Rounds per point (the servers interleaved); the point is the round with the median rate. */
  rounds: number;
  leakRequests: number;
  /** Upper bound on one leak check's load time, so a starved machine cannot stretch the run without limit. */
  leakMaxS: number;
}

async function withServers<T>(
  targets: Target[],
  body: (servers: Map<Target, ServerProcess>) => Promise<T>,
): Promise<T> {
  const servers = new Map<Target, ServerProcess>();
  try {
    for (const target of targets) servers.set(target, await target.start());
    return await body(servers);
  } finally {
    for (const server of servers.values()) await server.stop();
  }
}

export async function measureMode(
  spec: ModeSpec,
  timing: Timing,
  log: (line: string) => void,
): Promise<{ points: ThroughputPoint[]; leaks: LeakCheck[] }> {
  return withServers(spec.targets, async (servers) => {
    const prepared: PreparedTarget[] = [];
    for (const target of spec.targets) prepared.push(await prepare(target, servers.get(target)!, spec.protocol));
    const points: ThroughputPoint[] = [];
    for (const connections of CONCURRENCIES) {
      // Rounds interleave the servers (the order reverses every round), so a change in the machine's speed during
      // the run falls on all of them alike; each point is the round with the median rate.
      const rounds = new Map<PreparedTarget, MeasuredLoad[]>(prepared.map((p) => [p, []]));
      for (let round = 0; round < timing.rounds; round++) {
        for (const p of round % 2 === 0 ? prepared : [...prepared].reverse()) {
          const tag = `${spec.mode}-${p.target.id}-c${connections}-r${round + 1}`;
          await applyLoad(p, connections, round === 0 ? timing.warmupS : 1, `${tag}-warmup`);
          rounds.get(p)?.push(await applyLoad(p, connections, timing.durationS, tag));
        }
      }
      for (const p of prepared) {
        const all = rounds.get(p) ?? [];
        const result = medianByRate(all);
        log(
          `  ${p.target.id.padEnd(18)} c=${String(connections).padEnd(3)} ${result.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  cpu ${result.serverCpu.toFixed(2)}` +
            (all.length > 1 ? `  (rounds: ${all.map((r) => r.rps.toFixed(0)).join(', ')} req/s)` : '') +
            (result.failures ? `  FAILURES ${result.failures}: ${result.firstFailure}` : ''),
        );
        points.push({
          ...result,
          mode: spec.mode,
          target: p.target.id,
          label: p.target.label,
          kind: p.target.kind,
          connections,
          toolCalled: p.target.call.name,
          roundsRps: all.map((r) => r.rps),
        });
      }
    }
    const leaks: LeakCheck[] = [];
    for (const target of spec.leakCheck ?? []) {
      const p = prepared.find((x) => x.target === target)!;
      const c16 = points.find((x) => x.target === target.id && x.connections === 16)!;
      leaks.push(await leakCheck(spec.mode, p, c16.rps, timing.leakRequests, timing.leakMaxS, log));
    }
    return { points, leaks };
  });
}

/** RSS of a warm server (it has just run every point), then after `count` more calls at c=16. */
async function leakCheck(
  mode: string,
  p: PreparedTarget,
  rps: number,
  count: number,
  maxS: number,
  log: (line: string) => void,
): Promise<LeakCheck> {
  const before = await settledRss(p.server.pid);
  let sent = 0;
  let round = 0;
  const started = Date.now();
  const left = () => maxS - (Date.now() - started) / 1000;
  let mid: number | undefined;
  while (sent < count && left() > 0.5) {
    if (mid === undefined && sent >= count / 2) mid = await settledRss(p.server.pid, 1_000);
    // Aim at the half-way mark first, so the middle reading is taken near 50,000.
    const target = mid === undefined ? count / 2 : count;
    const remaining = Math.max(1, target - sent);
    if (p.protocol === 'sse') {
      const result = await applyLoad(p, 16, left(), `${mode}-${p.target.id}-leak${round}`, remaining);
      sent += result.requests;
    } else {
      // wrk runs for a time, not a count: segments of at most 20 s, re-estimating the rate after each.
      const seconds = Math.min(20, Math.ceil(left()), Math.max(1, Math.ceil(remaining / Math.max(rps, 1))));
      const result = await applyLoad(p, 16, seconds, `${mode}-${p.target.id}-leak${round}`);
      sent += result.requests;
      rps = result.rps;
      if (result.failures > 0) log(`  leak check ${p.target.id}: ${result.failures} failures (${result.firstFailure})`);
    }
    round++;
  }
  const after = await settledRss(p.server.pid, 3_000);
  const growth = after / before - 1;
  const capped = sent < count ? Math.round((Date.now() - started) / 1000) : undefined;
  log(
    `  RSS ${p.target.id} before ${(before / 2 ** 20).toFixed(1)} MiB, half-way ${mid ? (mid / 2 ** 20).toFixed(1) : '—'} MiB, after ${sent} requests ${(after / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(1)}%)` +
      (capped ? ` — stopped by the ${maxS} s cap before ${count}` : ''),
  );
  return {
    mode,
    target: p.target.id,
    requests: sent,
    rssMidBytes: mid,
    cappedAfterS: capped,
    rssBeforeBytes: before,
    rssAfterBytes: after,
    growth,
  };
}

/** The round with the median rate (the lower middle one of an even count): its latencies and CPU belong to it. */
function medianByRate(results: MeasuredLoad[]): MeasuredLoad {
  const sorted = [...results].sort((a, b) => a.rps - b.rps);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error('a throughput point has no rounds');
  return middle;
}
