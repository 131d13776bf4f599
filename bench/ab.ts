// A/B of two builds: `node bench/ab.ts <entry A> <entry B> [modern|sse|session] [rounds] [seconds] [c]` (an entry
// is the service's main.ts or main.js, e.g. an older tree exported with `git archive` next to this one's
// node_modules, or a baseline from bench/baselines, e.g. the bare SDK against an edited copy of the SDK). Both run
// with the bench's settings for ours, pinned to the server core, and are loaded at the same time, c connections
// each, so that other load on the machine hits both alike; prints CPU time per request (from /proc) of each and
// B ÷ A per round. Points run one after the other move with the machine's load far more than a few percent.
// AB_ENV_A / AB_ENV_B add settings to one side only (space-separated KEY=VALUE), so one build against itself
// measures what a setting costs: AB_ENV_A='LOG_LEVEL=warn'.
import { resolve } from 'node:path';
import { authHeaders } from '@mcp-stack/test-support/credentials';
import { applyLoad, type Protocol, prepare } from './lib/load.ts';
import { SERVICE_DIR } from './lib/paths.ts';
import { envFromPairs, startPinned } from './lib/proc.ts';
import { discoverOurs } from './measures/discover.ts';
import { oursDefault, oursEnv, setBenchCall, type Target } from './targets.ts';

const [entryA, entryB, protocol = 'modern', rounds = '6', seconds = '5', connections = '8'] = process.argv.slice(2);
if (!entryA || !entryB)
  throw new Error('usage: node bench/ab.ts <entry A> <entry B> [modern|sse|session] [rounds] [seconds] [c]');
const found = await discoverOurs(oursDefault);
setBenchCall(found.call);

const build = (id: string, entry: string, port: number): Target => ({
  id,
  label: `${id}: ${entry}`,
  kind: 'ours',
  port,
  auth: authHeaders(),
  call: found.call,
  start: () =>
    startPinned({
      name: `ab-${id}`,
      port,
      command: process.execPath,
      // The service runs in its own directory: an entry given relative to where this was started is resolved first.
      // The port goes as the first argument too: a baseline (bench/baselines/*.ts) reads it there, the service
      // reads PORT and ignores arguments.
      args: [resolve(entry), String(port)],
      cwd: SERVICE_DIR,
      env: {
        ...oursEnv(port, false),
        ...envFromPairs((process.env[`AB_ENV_${id}`] ?? '').split(/\s+/).filter(Boolean), `AB_ENV_${id}`),
      },
      readyPath: '/healthz',
      timeoutMs: 30_000,
    }),
});
const targets = [build('A', entryA, 8212), build('B', entryB, 8213)];
const prepared = await Promise.all(targets.map(async (t) => prepare(t, await t.start(), protocol as Protocol)));
const usPerRequest = (m: { serverCpu: number; rps: number }) => (m.serverCpu * 1e6) / m.rps;
const ratios: number[] = [];
try {
  await Promise.all(prepared.map((p) => applyLoad(p, Number(connections), 2, `ab-warmup-${p.target.id}`)));
  for (let round = 1; round <= Number(rounds); round++) {
    const [a, b] = await Promise.all(
      prepared.map((p) => applyLoad(p, Number(connections), Number(seconds), `ab-${p.target.id}`)),
    );
    if (!a || !b) throw new Error('a load point returned nothing');
    ratios.push(usPerRequest(b) / usPerRequest(a));
    console.log(
      `round ${round}: A ${a.rps.toFixed(0)} req/s ${usPerRequest(a).toFixed(0)} µs/req | B ${b.rps.toFixed(0)} req/s ${usPerRequest(b).toFixed(0)} µs/req | B ÷ A CPU ${ratios.at(-1)?.toFixed(3)}`,
    );
  }
} finally {
  await Promise.all(prepared.map((p) => p.server.stop()));
}
const sorted = [...ratios].sort((x, y) => x - y);
const median =
  sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
console.log(`CPU per request, B ÷ A: median ${median.toFixed(3)} over ${ratios.length} rounds`);
