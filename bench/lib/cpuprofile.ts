// Summarises a V8 .cpuprofile: self time by function and by package (node_modules/<pkg>, the service's own
// src/, node: internals), plus inclusive time of chosen frames — enough to say where a request's CPU goes.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time without (idle): shares are of this busy time. */
  totalMs: number;
  byFunction: { name: string; ms: number; share: number }[];
  byPackage: { name: string; ms: number; share: number }[];
  /** Inclusive time (the frame and everything it called) of frames whose name matches. */
  inclusive: { name: string; ms: number; share: number }[];
}

export function packageOf(url: string): string {
  if (!url) return '(native / idle / gc)';
  if (url.startsWith('node:')) return 'node: internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = /\/services\/mcp\/(src|dist)\/(.*)$/.exec(url);
  if (src) return `service ${src[1]}/${src[2]!.split('/')[0]}`;
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

export function summarizeProfile(path: string, inclusiveNames: string[] = [], top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    if (byId.get(id)!.callFrame.functionName === '(idle)') return;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  const incl = new Map<string, number>(inclusiveNames.map((n) => [n, 0]));
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${packageOf(url)}${url ? `:${lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    pkg.set(packageOf(url), (pkg.get(packageOf(url)) ?? 0) + ms);
    // Walk up once per sample bucket, counting each matching name once per stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur)!.callFrame.functionName;
      for (const wanted of inclusiveNames) {
        if (!seen.has(wanted) && name === wanted) {
          seen.add(wanted);
          incl.set(wanted, incl.get(wanted)! + ms);
        }
      }
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: ms / total }));
  return { totalMs: total, byFunction: rank(fn), byPackage: rank(pkg), inclusive: rank(incl) };
}

/** The heaviest call paths (up to `depth` frames) that end in a frame named `name`, by its inclusive time. */
export function callersOf(path: string, name: string, depth = 6, top = 8): { stack: string; ms: number }[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const paths = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    let cur: number | undefined = id;
    while (cur !== undefined && byId.get(cur)!.callFrame.functionName !== name) cur = parent.get(cur);
    if (cur === undefined) return;
    const frames: string[] = [];
    for (let up: number | undefined = cur; up !== undefined && frames.length < depth; up = parent.get(up)) {
      const f = byId.get(up)!.callFrame;
      frames.push(`${f.functionName || '(anon)'}@${packageOf(f.url)}`);
    }
    const key = frames.join(' < ');
    paths.set(key, (paths.get(key) ?? 0) + dt);
  });
  return [...paths.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([stack, ms]) => ({ stack, ms }));
}

// CLI: node cpuprofile.ts file.cpuprofile [frameName ...]   |   node cpuprofile.ts file.cpuprofile --callers NAME
if (import.meta.url === `file://${process.argv[1]}` && process.argv[3] === '--callers') {
  for (const c of callersOf(process.argv[2]!, process.argv[4]!))
    console.log(`${c.ms.toFixed(0).padStart(6)} ms  ${c.stack}`);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, ...names] = process.argv.slice(2);
  const s = summarizeProfile(file!, names);
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  console.log(`${s.totalMs.toFixed(0)} ms busy (idle excluded)\n\nself time by package:`);
  for (const r of s.byPackage) console.log(`  ${pct(r.share)}  ${r.name}`);
  console.log('\nself time by function:');
  for (const r of s.byFunction) console.log(`  ${pct(r.share)}  ${r.name}`);
  if (s.inclusive.length) {
    console.log('\ninclusive time of frames:');
    for (const r of s.inclusive) console.log(`  ${pct(r.share)}  ${r.name}`);
  }
}
