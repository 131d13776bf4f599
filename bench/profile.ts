// Profile one target under load: `node bench/profile.ts <target> <protocol> [seconds] [frame ...]`
//   target:   ours | ours-stateless | ours-lean | bare-v2-stateless | sdk-floor | bare-v2-session | bare-legacy-sse |
//             ceiling
//   protocol: modern | session | stateless2025 | sse | plain
// Starts it with `node --cpu-prof` (PROFILE_ENV='KEY=VALUE ...' adds settings, e.g. to see what one costs),
// applies c=16 (PROFILE_CONCURRENCY=1 for a single client, whose costs are not shared by a turn of the event loop)
// for the given seconds after a 2 s warm-up, stops it, and prints where its busy CPU time went (self time by
// package and function, inclusive time of named frames). The call paths into one
// function: node bench/lib/cpuprofile.ts <file> --callers <function>.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeProfile } from './lib/cpuprofile.ts';
import { applyLoad, type Protocol, prepare } from './lib/load.ts';
import { RAW_DIR } from './lib/paths.ts';
import { envFromPairs } from './lib/proc.ts';
import { discoveredTarget } from './targets.ts';

const [targetId = 'ours', protocol = 'modern', seconds = '10', ...frames] = process.argv.slice(2);
const target = await discoveredTarget(targetId);
const concurrency = Number(process.env.PROFILE_CONCURRENCY ?? 16);

const dir = join(RAW_DIR, `profile-${targetId}-${protocol}-${Date.now()}`);
mkdirSync(dir, { recursive: true });
const extraEnv = envFromPairs((process.env.PROFILE_ENV ?? '').split(/\s+/).filter(Boolean), 'PROFILE_ENV');
const server = await target.start(extraEnv, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
try {
  const p = await prepare(target, server, protocol as Protocol);
  await applyLoad(p, concurrency, 2, `profile-${targetId}-warmup`);
  const r = await applyLoad(p, concurrency, Number(seconds), `profile-${targetId}`);
  console.log(
    `${targetId} ${protocol} c=${concurrency}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, server CPU ${(r.serverCpu * 100).toFixed(0)}%`,
  );
} finally {
  await server.stop();
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${dir}`);
const s = summarizeProfile(join(dir, file), frames, 20);
const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
console.log(`profile: ${join(dir, file)} (${s.totalMs.toFixed(0)} ms busy)\n\nself time by package:`);
for (const row of s.byPackage.slice(0, 12)) console.log(`  ${pct(row.share)}  ${row.name}`);
console.log('\nself time by function:');
for (const row of s.byFunction) console.log(`  ${pct(row.share)}  ${row.name}`);
if (s.inclusive.length) {
  console.log('\ninclusive time of frames:');
  for (const row of s.inclusive) console.log(`  ${pct(row.share)}  ${row.name}`);
}
