// Reads two V8 heap snapshots of one process and says what the objects new in the second one are and who holds
// them. V8 keeps an object's snapshot id for its whole life, so "new" is exact: in the second, not in the first.
import { readFileSync } from 'node:fs';

interface RawSnapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface Row {
  key: string;
  count: number;
  bytes: number;
}

export interface HeapDiff {
  /** New objects by constructor (closures by function name, primitives and arrays by their type). */
  byConstructor: Row[];
  /** New objects by the nearest named object that holds them and the property it holds them by. */
  byOwner: Row[];
  totalBytes: number;
}

// Names that say nothing about who owns an object: walked through on the way up to a named owner.
const GENERIC = new Set(['Object', 'Array', 'Map', 'Set', 'WeakMap', 'Promise', 'Function', '']);

export function diffSnapshots(beforeFile: string, afterFile: string): HeapDiff {
  const seen = nodeIds(JSON.parse(readFileSync(beforeFile, 'utf8')) as RawSnapshot);
  const snap = JSON.parse(readFileSync(afterFile, 'utf8')) as RawSnapshot;
  const { meta } = snap.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [typeAt, nameAt, idAt, sizeAt, edgeCountAt] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) =>
    meta.node_fields.indexOf(f),
  ) as [number, number, number, number, number];
  const [edgeTypeAt, edgeNameAt, toAt] = ['type', 'name_or_index', 'to_node'].map((f) =>
    meta.edge_fields.indexOf(f),
  ) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = snap;

  const type = (n: number) => nodeTypes[nodes[n + typeAt]!]!;
  const name = (n: number) => strings[nodes[n + nameAt]!]!;
  const isNew = (n: number) => !seen.has(nodes[n + idAt]!);
  const label = (n: number) => {
    const t = type(n);
    if (t === 'object' || t === 'native') return name(n);
    if (t === 'closure') return `closure ${name(n)}`.trim();
    return `(${t})`;
  };
  const named = (n: number) => type(n) === 'object' && !GENERIC.has(name(n)) && !name(n).startsWith('system');

  // Every strong retainer of every new object.
  const retainers = new Map<number, { from: number; edge: string }[]>();
  for (let n = 0, e = 0; n < nodes.length; n += nf) {
    const end = e + nodes[n + edgeCountAt]! * ef;
    for (; e < end; e += ef) {
      const to = edges[e + toAt]!;
      const edgeType = edgeTypes[edges[e + edgeTypeAt]!]!;
      if (edgeType === 'weak' || edgeType === 'shortcut' || !isNew(to)) continue;
      const raw = edges[e + edgeNameAt]!;
      const edge = edgeType === 'element' || edgeType === 'hidden' ? `[${raw}]` : strings[raw]!;
      const list = retainers.get(to);
      if (list) list.push({ from: n, edge });
      else retainers.set(to, [{ from: n, edge }]);
    }
  }

  // The nearest named object above (breadth first, so cycles among new objects do not hide it): the property it
  // holds the chain by says whose the memory is.
  const owner = (n: number): string => {
    const queue = [n];
    const visited = new Set(queue);
    for (let i = 0; i < queue.length && i < 500; i++) {
      for (const up of retainers.get(queue[i]!) ?? []) {
        if (named(up.from)) return `${name(up.from)}.${up.edge}`;
        if (!visited.has(up.from)) {
          visited.add(up.from);
          queue.push(up.from);
        }
      }
    }
    return `(no named owner) ${label(n)}`;
  };

  const byConstructor = new Map<string, Row>();
  const byOwner = new Map<string, Row>();
  let totalBytes = 0;
  const add = (map: Map<string, Row>, key: string, bytes: number) => {
    const row = map.get(key) ?? { key, count: 0, bytes: 0 };
    row.count++;
    row.bytes += bytes;
    map.set(key, row);
  };
  for (let n = 0; n < nodes.length; n += nf) {
    if (!isNew(n)) continue;
    const bytes = nodes[n + sizeAt]!;
    totalBytes += bytes;
    add(byConstructor, label(n).slice(0, 80), bytes);
    add(byOwner, owner(n).slice(0, 100), bytes);
  }
  const sorted = (map: Map<string, Row>) => [...map.values()].sort((a, b) => b.bytes - a.bytes);
  return { byConstructor: sorted(byConstructor), byOwner: sorted(byOwner), totalBytes };
}

function nodeIds(snap: RawSnapshot): Set<number> {
  const fields = snap.snapshot.meta.node_fields;
  const idAt = fields.indexOf('id');
  const ids = new Set<number>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) ids.add(snap.nodes[i + idAt]!);
  return ids;
}
