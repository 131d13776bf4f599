// What one idle session or open stream holds on the JS heap: `node bench/heap-diff.ts <target> <streams|sessions> [count]`
// Starts the target with --heapsnapshot-signal, opens 50 (warm-up), snapshots, opens `count` more, snapshots
// again, and prints the per-item difference by constructor (count and bytes of self size) — where the RSS of
// measure 3 goes, for whoever has to make it smaller.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function aggregate(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name =
      type === 'object' || type === 'closure' || type === 'native'
        ? snap.strings[snap.nodes[i + nameAt]!]!
        : `(${type})`;
    const key = `${type === 'closure' ? 'closure ' : ''}${name}`.slice(0, 80);
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt]!;
    out.set(key, entry);
  }
  return out;
}

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
    if (what === 'streams') sockets.push(...(await openSseStreams(target, n)));
    else await openSessions(`http://127.0.0.1:${target.port}`, target.auth, n);
  };
  await open(50);
  const seen = new Set(readdirSync(dir));
  const a = await snapshot(server.pid, dir, seen);
  seen.add(a.split('/').pop()!);
  await open(count);
  const b = await snapshot(server.pid, dir, seen);
  const before = aggregate(a);
  const after = aggregate(b);
  const rows = [...after.entries()]
    .map(([key, v]) => ({
      key,
      count: (v.count - (before.get(key)?.count ?? 0)) / count,
      bytes: (v.bytes - (before.get(key)?.bytes ?? 0)) / count,
    }))
    .sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  console.log(
    `${targetId}: JS heap per ${what === 'streams' ? 'open /sse stream' : 'idle session'}: ${(total / 1024).toFixed(1)} KB (self sizes, ${count} items)\n`,
  );
  console.log('   bytes/item  objects/item  constructor');
  for (const r of rows.slice(0, 30))
    console.log(`${r.bytes.toFixed(0).padStart(12)}  ${r.count.toFixed(1).padStart(12)}  ${r.key}`);
} finally {
  for (const s of sockets) s.destroy();
  await server.stop();
}
