// The shape of bench/results/latest.json, shared by the runner and the report writer.

import type { FirstEventResult } from '../measures/first-event.ts';
import type { MemoryPoint } from '../measures/memory.ts';
import type { LeakCheck, ThroughputPoint } from '../measures/throughput.ts';
import type { MachineInfo } from './machine.ts';

/** A measure that could not run: said plainly, with the reason, instead of a number. */
export interface NotMeasured {
  measured: false;
  reason: string;
}

export interface TraefikPoint {
  path: 'direct' | 'traefik+tls';
  connections: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

export interface TraefikResult {
  measured: true;
  how: string;
  points: TraefikPoint[];
}

export interface ContainerResult {
  measured: true;
  image: string;
  baseImage: string;
  imageBytes: number;
  baseImageBytes: number;
  startToListeningMs: number[];
  startToHealthyMs: number[];
  healthcheck: string;
}

export interface TokenLatencyResult {
  measured: true;
  how: string;
  tool: string;
  tokens: number;
  /** Proxy wrote a token chunk to the service → the MCP client got its progress notification. */
  addedP50Ms: number;
  addedP99Ms: number;
  /** Same proxy → a plain HTTP client reading the same stream directly: the floor of one loopback hop. */
  floorP50Ms: number;
  floorP99Ms: number;
  /** The same with tokens 20 ms apart: the service batches progress (≤ 100 ms) by design. */
  fast: { tokens: number; addedP50Ms: number; addedP99Ms: number; floorP50Ms: number; floorP99Ms: number };
}

export interface ProfileResult {
  measured: true;
  how: string;
  totalMs: number;
  byPackage: { name: string; share: number }[];
  byFunction: { name: string; share: number }[];
}

export interface TargetVerdict {
  target: string;
  measured: string;
  /** null: not measured, or (for a figure reported without a target, its name ends in "(reported)") no verdict. */
  met: boolean | null;
}

export interface Results {
  date: string;
  wallSeconds: number;
  machine: MachineInfo;
  settings: Record<string, unknown>;
  notes: string[];
  oursToolCall?: string;
  throughput: ThroughputPoint[];
  leaks: LeakCheck[];
  memory: MemoryPoint[];
  firstEvent: FirstEventResult[];
  traefik: TraefikResult | NotMeasured;
  container: ContainerResult | NotMeasured;
  tokenLatency: TokenLatencyResult | NotMeasured;
  /** Where ours spends its CPU under load (node --cpu-prof, summarised). */
  profile: ProfileResult | NotMeasured;
  notMeasured: { measure: string; reason: string }[];
  targets: TargetVerdict[];
}
