// What one idle session or open stream holds on the JS heap:
// `node bench/heap-diff.ts <target> <streams|initialized-streams|sessions> [count]`
// Starts the target with --heapsnapshot-signal, opens 50 (warm-up), snapshots, opens `count` more, snapshots
// again, and prints what the objects new in the second snapshot are per item, by constructor and by the named object
// that holds them (count and bytes of self size) — where the RSS of measure 3 goes, for whoever has to make it
// smaller.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { diffSnapshots, type Row } from './lib/heap-snapshot.ts';
import { openSessions } from './lib/mcp-wire.ts';
import { RAW_DIR } from './lib/paths.ts';
import { openSseStreams } from './measures/memory.ts';
import { bareLegacySse, bareSession, oursDefault, type Target } from './targets.ts';

const [targetId = 'ours', what = 'streams', countArg = '1000'] = process.argv.slice(2);
const count = Number(countArg);
const targets: Record<string, Target> = {
  ours: oursDefault,
  'bare-v2-session': bareSession('sse'),
  'bare-legacy-sse': bareLegacySse,
};
const target = targets[targetId];
if (!target) throw new Error(`unknown target ${targetId}`);

async function snapshot(pid: number, dir: string, before: Set<string>): Promise<string> {
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(200);
    const fresh = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // Written when its size stops changing.
    if (fresh.length) {
      const file = join(dir, fresh[0]!);
      const size = statSync(file).size;
      await sleep(1000);
      if (statSync(file).size === size && size > 0) return file;
    }
  }
  throw new Error('no heap snapshot written');
}

const dir = RAW_DIR;
const server = await target.start({}, ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`]);
const sockets: { destroy(): void }[] = [];
try {
  const open = async (n: number) => {
    if (what === 'sessions') await openSessions(`http://127.0.0.1:${target.port}`, target.auth, n);
    else sockets.push(...(await openSseStreams(target, n, { initialized: what === 'initialized-streams' })));
  };
  await open(50);
  const seen = new Set(readdirSync(dir));
  const a = await snapshot(server.pid, dir, seen);
  seen.add(a.split('/').pop()!);
  await open(count);
  const b = await snapshot(server.pid, dir, seen);
  const diff = diffSnapshots(a, b);
  console.log(
    `${targetId}: JS heap per ${what === 'sessions' ? 'idle session' : what === 'streams' ? 'open /sse stream' : 'initialized /sse stream'}: ${(diff.totalBytes / count / 1024).toFixed(1)} KB (self sizes of the objects new in the second snapshot, ${count} items)`,
  );
  const table = (title: string, rows: Row[]) => {
    console.log(`\n   bytes/item  objects/item  ${title}`);
    for (const r of rows.slice(0, 30))
      console.log(
        `${(r.bytes / count).toFixed(0).padStart(12)}  ${(r.count / count).toFixed(1).padStart(12)}  ${r.key}`,
      );
  };
  table('constructor', diff.byConstructor);
  table('held by (nearest named object . property)', diff.byOwner);
} finally {
  for (const s of sockets) s.destroy();
  await server.stop();
}
