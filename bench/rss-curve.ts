// RSS as requests accumulate: `node bench/rss-curve.ts <target> <protocol> [total] [step] [KEY=VALUE ...]`
// e.g. node bench/rss-curve.ts ours session 200000 25000 MCP_EVENT_STORE_MAX_EVENTS=0
// Distinguishes a leak (grows without bound) from a bounded cache (grows, then flattens) — the question the
// 100,000-request check of measure 1 raises when it misses.
import { applyLoad, type Protocol, prepare } from './lib/load.ts';
import { envFromPairs, settledRss } from './lib/proc.ts';
import { discoveredTarget } from './targets.ts';

const [targetId = 'ours', protocol = 'session', totalArg = '200000', stepArg = '25000', ...envPairs] =
  process.argv.slice(2);
const env = envFromPairs(envPairs, 'rss-curve');
const target = await discoveredTarget(targetId);
const server = await target.start(env);
try {
  const p = await prepare(target, server, protocol as Protocol);
  const total = Number(totalArg);
  const step = Number(stepArg);
  let sent = 0;
  let rps = 1000;
  console.log(
    `${targetId} ${protocol} ${envPairs.join(' ')}: RSS ${((await settledRss(server.pid)) / 2 ** 20).toFixed(1)} MiB at start`,
  );
  while (sent < total) {
    let inStep = 0;
    while (inStep < step) {
      const r =
        protocol === 'sse'
          ? await applyLoad(p, 16, 3600, 'rss-curve', step - inStep)
          : await applyLoad(p, 16, Math.min(20, Math.max(1, Math.ceil((step - inStep) / rps))), 'rss-curve');
      inStep += r.requests;
      rps = r.rps;
    }
    sent += inStep;
    console.log(
      `  after ${String(sent).padStart(7)} requests: RSS ${((await settledRss(server.pid, 2_000)) / 2 ** 20).toFixed(1)} MiB`,
    );
  }
} finally {
  await server.stop();
}
