/**
 * `make test-swarm`: the production stack on a REAL three-node Docker Swarm (one manager, two workers: three
 * dockerd processes on this machine, each in its own network namespace; scripts/swarm/bed.sh), deployed with the
 * user's own commands (`make swarm-deploy`, `make swarm-update`), driven through Traefik TLS by the official SDK
 * clients. What is simulated: the three hosts share one kernel and one disk (network namespaces on a bridge), and
 * the backend overlay is not encrypted (this kernel has no ESP; test/swarm/bed.compose.yaml). No LLM answers here:
 * the calls are server_info and tools/list, which never reach the model (the prod stack test covers the LLM).
 *
 * Prints its figures (durations, call counts, failures) as `[swarm]` lines. Needs root, iproute2, util-linux
 * (nsenter, unshare), dockerd, the main engine with the Traefik and socket-proxy images: fails loudly otherwise.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { serviceImageBuildArgs } from '@mcp-stack/test-support/service-image';
import { Agent, fetch as undiciFetch } from 'undici';
import { run, runOk } from '../helpers/docker.ts';
import {
  type ClientTarget,
  connectLegacySse,
  connectStreamableV1,
  connectV2,
  resultText,
} from '../helpers/mcp-clients.ts';
import { repoRoot } from '../helpers/paths.ts';

const stack = 'mcpsw';
const bedDir = '/var/lib/mcp-stack-swarm';
const nodeSock = (n: number) => `unix://${bedDir}/node${n}/docker.sock`;
const nodeAddr = (n: number) => `10.77.11.${n}`;
const nodeName = (n: number) => `mcpsw-node${n}`;
const mcpRepo = 'mcp-stack-test/mcp';
const tags = { base: 'swarm', next: 'swarm-next', broken: 'swarm-broken' } as const;
const token = randomBytes(24).toString('hex');
const apiKey = `sk-swarm-${randomBytes(16).toString('hex')}`;

const figures: string[] = [];
function report(line: string): void {
  figures.push(line);
  console.log(`[swarm] ${line}`);
}

let workDir = '';
let makeEnv: NodeJS.ProcessEnv = {};
let agent: Agent | undefined;
let target: ClientTarget;
let bedUp = false;

const onNode = (n: number, args: string[], timeoutMs = 120_000) =>
  runOk('docker', ['-H', nodeSock(n), ...args], { timeoutMs });
const manager = (args: string[], timeoutMs?: number) => onNode(1, args, timeoutMs);

function bed(args: string[], timeoutMs = 300_000) {
  return runOk('bash', ['scripts/swarm/bed.sh', ...args], { cwd: repoRoot, timeoutMs });
}

function make(args: string[]) {
  return run(
    'make',
    [
      '--no-print-directory',
      ...args,
      `STACK=${stack}`,
      'ENV_FILE=test/env/prod.env',
      'SWARM_DEPLOY_FLAGS=--resolve-image=never',
      'SWARM_FILES=test/swarm/bed.compose.yaml',
    ],
    {
      cwd: repoRoot,
      env: makeEnv,
      timeoutMs: 600_000,
    },
  );
}

/** Running mcp tasks: node name, task id, container id, image. */
async function mcpTasks(): Promise<{ node: string; id: string; image: string }[]> {
  const out = await manager([
    'service',
    'ps',
    `${stack}_mcp`,
    '--no-trunc',
    '--filter',
    'desired-state=running',
    '--format',
    '{{.Node}}\t{{.ID}}\t{{.Image}}\t{{.CurrentState}}',
  ]);
  return out.stdout
    .split('\n')
    .filter((l) => l.includes('Running'))
    .map((l) => {
      const [node, id, image] = l.split('\t');
      if (!node || !id || !image) throw new Error(`docker service ps printed an unexpected line: ${l}`);
      return { node, id, image };
    });
}

/** The first running task of a stack service on the manager (Traefik and the socket proxy run one). */
async function runningTask(service: string): Promise<string> {
  const out = await manager([
    'service',
    'ps',
    `${stack}_${service}`,
    '-q',
    '--no-trunc',
    '--filter',
    'desired-state=running',
  ]);
  const task = out.stdout.trim().split('\n')[0];
  if (!task) throw new Error(`no running task of ${stack}_${service}`);
  return task;
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined | false>,
): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  let lastError = '';
  while (performance.now() - start < timeoutMs) {
    try {
      const value = await probe();
      if (value) return { value, seconds: (performance.now() - start) / 1000 };
    } catch (error) {
      lastError = String(error);
    }
    await delay(250);
  }
  const tasks = await manager([
    'service',
    'ps',
    `${stack}_mcp`,
    '--format',
    '{{.Name}} {{.Node}} {{.Image}} {{.DesiredState}} {{.CurrentState}} {{.Error}}',
  ]).catch((e) => ({ stdout: String(e) }));
  throw new Error(`${what}: not within ${timeoutMs / 1000} s ${lastError}\nmcp tasks:\n${tasks.stdout}`);
}

/** The TLS client: mcp.localhost is the edge node's address (the user's DNS record); the certificate is checked. */
function edgeClient(caPem: Buffer): Agent {
  const lookup = (
    hostname: string,
    options: LookupOptions,
    cb: (e: NodeJS.ErrnoException | null, a: string | LookupAddress[], f?: number) => void,
  ) => {
    if (hostname !== 'mcp.localhost') {
      cb(
        Object.assign(new Error(`swarm test resolves only mcp.localhost, not ${hostname}`), { code: 'ENOTFOUND' }),
        [],
      );
      return;
    }
    if (options.all) cb(null, [{ address: nodeAddr(1), family: 4 }]);
    else cb(null, nodeAddr(1), 4);
  };
  return new Agent({ allowH2: false, connect: { ca: caPem, lookup }, bodyTimeout: 0, headersTimeout: 60_000 });
}

/**
 * N concurrent 2026-07-28 callers calling server_info in a loop until stopped. `clientRetry`: a failed call is
 * tried once more (what a client retry hides is counted separately from what it does not).
 */
function statelessLoad(callers: number, clientRetry: boolean) {
  let stopped = false;
  const stats = { calls: 0, failedFirstTry: 0, failed: 0, errors: [] as string[] };
  let connected = 0;
  let allConnected: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    allConnected = resolve;
  });
  const workers = Array.from({ length: callers }, async () => {
    const conn = await connectV2(target, { pin: '2026-07-28' });
    if (++connected === callers) allConnected();
    try {
      while (!stopped) {
        const call = () => conn.client.callTool({ name: 'server_info', arguments: {} }, { timeout: 30_000 });
        stats.calls++;
        try {
          const r = await call();
          if (r.isError) throw new Error(resultText(r));
        } catch (error) {
          stats.failedFirstTry++;
          if (stats.errors.length < 5) stats.errors.push(String(error).slice(0, 200));
          if (!clientRetry) {
            stats.failed++;
            continue;
          }
          await delay(100);
          try {
            const r = await call();
            if (r.isError) throw new Error(resultText(r));
          } catch (again) {
            stats.failed++;
            if (stats.errors.length < 10) stats.errors.push(`after retry: ${String(again).slice(0, 200)}`);
          }
        }
      }
    } finally {
      await conn.close().catch(() => undefined);
    }
  });
  return {
    stats,
    /** Every caller connected and calling (connecting is not what the tests measure). */
    async ready() {
      await Promise.race([ready, Promise.all(workers)]);
      await delay(1000);
    },
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return stats;
    },
  };
}

/** `make swarm-update IMAGE_TAG=<tag>` while `callers` stateless callers call; the load goes on `settleMs` after. */
async function updateUnderLoad(callers: number, tag: string, settleMs = 0) {
  const load = statelessLoad(callers, false);
  try {
    await load.ready();
    const start = performance.now();
    const updated = await make(['swarm-update', `IMAGE_TAG=${tag}`]);
    const seconds = (performance.now() - start) / 1000;
    await delay(settleMs);
    // The stats object is final once the finally block has stopped the callers.
    return { updated, seconds, stats: load.stats };
  } finally {
    await load.stop();
  }
}

async function containerOf(n: number, taskId: string): Promise<string> {
  const out = await onNode(n, ['ps', '-q', '--filter', `label=com.docker.swarm.task.id=${taskId}`]);
  return out.stdout.trim();
}

const nodeNumber = (name: string) => Number(name.replace(nodeName(0).slice(0, -1), ''));

describe('production stack on a real 3-node Docker Swarm', () => {
  before(async () => {
    const started = performance.now();
    if (process.getuid?.() !== 0)
      throw new Error('make test-swarm needs root (network namespaces and dockerd processes)');
    for (const tool of ['ip', 'nsenter', 'unshare', 'dockerd']) {
      const found = await run('sh', ['-c', `command -v ${tool}`]);
      if (found.code !== 0) throw new Error(`make test-swarm needs ${tool} (Debian: iproute2, util-linux, docker.io)`);
    }
    const info = await run('docker', ['info', '--format', '{{.ServerVersion}}']);
    if (info.code !== 0) throw new Error(`no main Docker engine answers: ${info.stderr}`);
    workDir = await mkdtemp(join(tmpdir(), 'mcp-swarm-'));

    // The service image from the real Dockerfile under our own tag, and two cheap variants for the update tests.
    const built = performance.now();
    await runOk('docker', serviceImageBuildArgs(`${mcpRepo}:${tags.base}`), { cwd: repoRoot, timeoutMs: 900_000 });
    const variants: Record<string, string> = {
      [tags.next]: `FROM ${mcpRepo}:${tags.base}\nLABEL org.mcp-stack.test.release=next\n`,
      // Never healthy: its process never answers /healthz (the image's health check, with compose.prod.yaml's
      // timings, probes it), so the rolling update must notice and roll back by itself.
      [tags.broken]: `FROM ${mcpRepo}:${tags.base}\nCMD ["node", "-e", "setInterval(() => {}, 1 << 30)"]\n`,
    };
    for (const [tag, dockerfile] of Object.entries(variants))
      await runOk('docker', ['build', '-q', '-t', `${mcpRepo}:${tag}`, '-'], { input: dockerfile });
    report(`images: service image and 2 variants built in ${((performance.now() - built) / 1000).toFixed(1)} s`);

    const certDir = join(workDir, 'certs');
    await runOk('bash', ['scripts/certs.sh', certDir], {
      cwd: repoRoot,
      env: { ...process.env, CERTS_TOOL: 'openssl' },
    });
    const secretsDir = join(workDir, 'secrets');
    await runOk('mkdir', ['-p', secretsDir]);
    for (const [name, value] of [
      ['llm_api_key', apiKey],
      ['mcp_auth_token', token],
    ] as const)
      await writeFile(join(secretsDir, name), `${value}\n`);
    const acmeDir = join(workDir, 'letsencrypt');
    await runOk('mkdir', ['-p', acmeDir]);
    await chown(acmeDir, 65532, 65532);
    await chmod(acmeDir, 0o700);

    makeEnv = {
      ...process.env,
      DOCKER_HOST: nodeSock(1),
      MCP_IMAGE: mcpRepo,
      IMAGE_TAG: tags.base,
      TLS_CERT_DIR: certDir,
      SECRETS_DIR: secretsDir,
      ACME_DIR: acmeDir,
      DOCKER_SOCKET: `${bedDir}/node1/docker.sock`,
      // No LLM on this bed: nothing here calls the model (see the header).
      OPENAI_BASE_URL: 'http://llm.invalid/v1',
      OPENAI_MODEL: 'none',
      MCP_UPDATE_MONITOR: '10s',
      MCP_UPDATE_DELAY: '2s',
      // Every test caller comes from the host's one address: the per-client rate limit would count them as one.
      MCP_RATE_LIMIT_PER_MINUTE: '0',
    };
    // The images the stack runs, as the rendering names them (TRAEFIK_IMAGE, SOCKET_PROXY_IMAGE and their defaults).
    const rendered = await runOk(
      'make',
      [
        '--no-print-directory',
        'swarm-config',
        `STACK=${stack}`,
        'ENV_FILE=test/env/prod.env',
        'SWARM_FILES=test/swarm/bed.compose.yaml',
      ],
      { cwd: repoRoot, env: makeEnv },
    );
    const stackFile = JSON.parse(rendered.stdout) as {
      services: Record<string, { image: string }>;
      networks: Record<string, { driver_opts?: object }>;
    };
    const images = [...new Set(Object.values(stackFile.services).map((s) => s.image))];
    for (const image of images.filter((i) => !i.startsWith(mcpRepo))) {
      const present = await run('docker', ['image', 'inspect', image]);
      if (present.code !== 0)
        throw new Error(
          `image ${image} is not on the main engine: build the offline images first (make images-offline)`,
        );
    }
    const backend = stackFile.networks.backend;
    assert.ok(backend, 'the rendered stack has a backend network');
    assert.equal(backend.driver_opts, undefined);
    report(
      'simulated: the backend overlay runs WITHOUT encryption here (no ESP in this kernel); production renders it encrypted',
    );

    const bedStart = performance.now();
    bedUp = true;
    await bed(['up']);
    report(`bed: 3 engines up and joined in ${((performance.now() - bedStart) / 1000).toFixed(1)} s`);
    const loadStart = performance.now();
    await bed(['load', ...images, `${mcpRepo}:${tags.next}`, `${mcpRepo}:${tags.broken}`], 600_000);
    report(
      `bed: ${images.length + 2} images loaded into 3 nodes in ${((performance.now() - loadStart) / 1000).toFixed(1)} s (docker save | docker load)`,
    );
    await manager(['node', 'update', '--label-add', 'mcp-stack.edge=true', nodeName(1)]);

    const deployStart = performance.now();
    const deployed = await make(['swarm-deploy']);
    assert.equal(deployed.code, 0, `make swarm-deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
    agent = edgeClient(await readFile(join(certDir, 'ca.crt')));
    const fetchFn = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
      undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
    target = { baseUrl: 'https://mcp.localhost', fetch: fetchFn, token };
    await waitFor('three mcp tasks running', 180_000, async () => (await mcpTasks()).length === 3);
    await waitFor(
      'Traefik routes to mcp',
      120_000,
      async () => (await fetchFn('https://mcp.localhost/healthz')).status === 200,
    );
    report(
      `deploy: make swarm-deploy to 3 healthy mcp tasks behind Traefik TLS in ${((performance.now() - deployStart) / 1000).toFixed(1)} s`,
    );
    report(`setup total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    await agent?.close().catch(() => undefined);
    if (bedUp) {
      if (process.env.SWARM_KEEP_LOGS !== undefined)
        await run('bash', ['-c', `cp ${bedDir}/node*/dockerd.log ${workDir}/ 2>/dev/null`]);
      const teardown = performance.now();
      const down = await run('bash', ['scripts/swarm/bed.sh', 'down'], { cwd: repoRoot, timeoutMs: 300_000 });
      report(
        `teardown: engines, namespaces, veths, cgroups, mounts and data removed in ${((performance.now() - teardown) / 1000).toFixed(1)} s`,
      );
      if (down.code !== 0) console.error(`[swarm] TEARDOWN FAILED:\n${down.stdout}\n${down.stderr}`);
      const left = await run('bash', ['scripts/swarm/bed.sh', 'status'], { cwd: repoRoot });
      assert.equal(left.stdout.trim(), '', `the bed left things behind:\n${left.stdout}`);
    }
    if (workDir) await rm(workDir, { recursive: true, force: true });
    for (const tag of Object.values(tags)) await run('docker', ['image', 'rm', `${mcpRepo}:${tag}`]);
    console.log(`[swarm] summary:\n  ${figures.join('\n  ')}`);
  });

  test('every node runs at least one mcp task', async () => {
    const nodes = new Set((await mcpTasks()).map((t) => t.node));
    assert.deepEqual([...nodes].sort(), [1, 2, 3].map(nodeName));
    report(`placement: mcp tasks on ${[...nodes].sort().join(', ')}`);
  });

  test('2026-07-28, 2025 session and legacy SSE clients list tools and call server_info through Traefik TLS', async () => {
    const clients = [
      ['2026-07-28 (SDK v2)', await connectV2(target, { pin: '2026-07-28' })],
      ['2025 session (SDK v1)', await connectStreamableV1(target)],
      ['legacy SSE (SDK v1)', await connectLegacySse(target)],
    ] as const;
    try {
      for (const [name, conn] of clients) {
        const tools = await conn.client.listTools();
        assert.ok(
          tools.tools.some((t) => t.name === 'server_info'),
          `${name}: tools/list has server_info`,
        );
        const info = (await conn.client.callTool({ name: 'server_info', arguments: {} })) as {
          structuredContent?: { provider?: string; environment?: string };
        };
        assert.equal(info.structuredContent?.provider, 'openai', name);
        assert.equal(info.structuredContent?.environment, 'production', name);
      }
      assert.equal(clients[0][1].negotiatedVersion, '2026-07-28');
      report(`clients: ${clients.map(([n, c]) => `${n} negotiated ${c.negotiatedVersion}`).join('; ')}`);
    } finally {
      for (const [, conn] of clients) await conn.close().catch(() => undefined);
    }
  });

  test('a 2025 session makes 100 calls with no unknown session (client-IP affinity holds over 3 replicas)', async () => {
    const conn = await connectStreamableV1(target);
    try {
      for (let i = 0; i < 100; i++) {
        const result = (await conn.client.callTool({ name: 'server_info', arguments: {} })) as { isError?: boolean };
        assert.ok(!result.isError, `call ${i + 1}`);
      }
      report('affinity: 100/100 calls of one 2025 session answered, no unknown session');
    } finally {
      await conn.close();
    }
  });

  test('2026-07-28 stateless calls spread over every replica', async () => {
    const load = statelessLoad(8, false);
    await load.ready();
    await delay(3000);
    const stats = await load.stop();
    assert.equal(stats.failed, 0, stats.errors.join('\n'));
    // Traefik's access log names the task address that answered each request of the stateless router.
    const traefik = await containerOf(1, await runningTask('traefik'));
    const logs = await onNode(1, ['logs', '--since', '30s', traefik]);
    const upstreams = new Set<string>();
    for (const line of (logs.stdout + logs.stderr).split('\n')) {
      if (!line.includes('"RouterName":"mcp-stateless')) continue;
      const addr = /"ServiceAddr":"([^"]+)"/.exec(line)?.[1];
      if (addr) upstreams.add(addr);
    }
    assert.equal(upstreams.size, 3, `stateless calls reached ${[...upstreams].join(', ')}`);
    report(`spread: ${stats.calls} stateless calls from 8 callers reached ${upstreams.size} task addresses`);
  });

  test('the secrets exist only as files inside the mcp tasks; every task is hardened', async () => {
    const mcpContainers: string[] = [];
    for (const task of await mcpTasks()) {
      const n = nodeNumber(task.node);
      const id = await containerOf(n, task.id);
      assert.ok(id, `container of task ${task.id} on ${task.node}`);
      mcpContainers.push(id);
      const read = await onNode(n, [
        'exec',
        id,
        'node',
        '-e',
        "const f=require('fs');process.stdout.write(['llm_api_key','mcp_auth_token'].map(s=>f.readFileSync('/run/secrets/'+s,'utf8').trim()).join(' '))",
      ]);
      assert.equal(read.stdout, `${apiKey} ${token}`, 'the task reads both secrets from files');
      const inspect = await onNode(n, ['inspect', id]);
      assert.ok(
        !inspect.stdout.includes(apiKey) && !inspect.stdout.includes(token),
        'no secret in docker inspect (env, labels, command)',
      );
      const [state] = JSON.parse(inspect.stdout);
      assert.equal(
        state.Config.Env.some((e: string) => /^(OPENAI_API_KEY|MCP_AUTH_TOKEN)=/.test(e)),
        false,
      );
      assert.equal(state.HostConfig.ReadonlyRootfs, true);
      assert.deepEqual(state.HostConfig.CapDrop, ['ALL']);
      // The stack names no probe: the task runs the image's (/healthz, and the /tmp/leaving way out of the pool)
      // with compose.prod.yaml's timings.
      const probe = state.Config.Healthcheck;
      assert.match(probe?.Test?.join(' ') ?? '', /\/tmp\/leaving.*\/healthz/, "the image's health probe");
      assert.equal(probe?.Interval, 5e9, "compose.prod.yaml's interval");
      const status = await onNode(n, ['exec', id, 'sh', '-c', 'id -u; grep -E "^(NoNewPrivs|CapEff)" /proc/1/status']);
      assert.match(status.stdout, /^1000\n/, 'runs as uid 1000');
      assert.match(status.stdout, /NoNewPrivs:\s+1/, 'no-new-privileges (engine default on every node)');
      assert.match(status.stdout, /CapEff:\s+0+\n/, 'no capabilities');
    }
    // Nothing else holds them: Traefik and the socket proxy have no such file, the service spec has no value.
    for (const service of ['traefik', 'socket-proxy']) {
      const id = await containerOf(1, await runningTask(service));
      const inspect = await onNode(1, ['inspect', id]);
      assert.ok(
        !inspect.stdout.includes('/run/secrets/mcp_auth_token') && !inspect.stdout.includes('llm_api_key'),
        `${service} has no mcp secret`,
      );
    }
    const spec = await manager(['service', 'inspect', `${stack}_mcp`]);
    assert.ok(!spec.stdout.includes(apiKey) && !spec.stdout.includes(token));
    // In the engines' state on every node, the token exists only in the per-container secrets directory of the mcp
    // containers, and that directory is a memory file system (Swarm never writes secrets to a node's disk).
    // (Image layers are left out: they exist before any secret does, and every task's root file system is read-only.)
    // Each node's engine runs in a mount namespace of its own (scripts/lib/dockerd.sh): its mounts, the secrets
    // tmpfs among them, are seen through its dockerd's /proc/<pid>/root and /proc/<pid>/mountinfo.
    const hits: string[] = [];
    const tmpfsMounts: string[] = [];
    for (const n of [1, 2, 3]) {
      const pid = (await readFile(`${bedDir}/node${n}/dockerd.pid`, 'utf8')).trim();
      const root = `/proc/${pid}/root`;
      const found = await run('grep', [
        '-rlsF',
        '--exclude-dir=overlay2',
        '-e',
        token,
        '-e',
        apiKey,
        `${root}${bedDir}/node${n}`,
      ]);
      hits.push(
        ...found.stdout
          .split('\n')
          .filter(Boolean)
          .map((hit) => hit.slice(root.length)),
      );
      const mountinfo = await readFile(`/proc/${pid}/mountinfo`, 'utf8');
      tmpfsMounts.push(
        ...mountinfo
          .split('\n')
          .filter((l) => / - tmpfs /.test(l))
          // Field 5 of a mountinfo line: the mount point.
          .flatMap((l) => l.split(' ')[4] ?? []),
      );
    }
    assert.equal(
      hits.length,
      6,
      `the secrets in exactly the 2 secret files of each of the 3 mcp containers: ${hits.join(', ')}`,
    );
    for (const hit of hits) {
      const m = /\/containers\/([0-9a-f]{64})\/mounts\/secrets\//.exec(hit);
      assert.ok(m, `a secret found outside a container's secrets directory: ${hit}`);
      assert.ok(
        mcpContainers.some((id) => m[1]!.startsWith(id)),
        `a secret in a container that is not an mcp task: ${hit}`,
      );
      assert.ok(
        tmpfsMounts.includes(hit.slice(0, hit.indexOf('/mounts/secrets/') + '/mounts/secrets'.length)),
        `${hit} is not on a tmpfs`,
      );
    }
    report(
      'secrets: only as /run/secrets files of the 3 mcp tasks (tmpfs on their nodes); not in env, inspect, service spec, Traefik or the socket proxy',
    );
  });

  test('a rolling update to a new image tag under 16 concurrent 2026-07-28 callers completes with 0 failed calls', async () => {
    const { updated, seconds, stats } = await updateUnderLoad(16, tags.next, 2000);
    assert.equal(updated.code, 0, `make swarm-update failed:\n${updated.stdout}\n${updated.stderr}`);
    const tasks = await mcpTasks();
    assert.equal(tasks.length, 3);
    for (const t of tasks) assert.match(t.image, new RegExp(`:${tags.next}$`));
    report(
      `rolling update: ${tags.base} -> ${tags.next} in ${seconds.toFixed(1)} s; ${stats.calls} calls by 16 callers, ${stats.failed} failed`,
    );
    assert.equal(stats.failed, 0, `failed calls during the rolling update:\n${stats.errors.join('\n')}`);
  });

  test('an update to an image whose health check fails rolls back by itself', async () => {
    const { updated, seconds, stats } = await updateUnderLoad(4, tags.broken);
    assert.notEqual(updated.code, 0, 'make swarm-update must fail when the update is rolled back');
    assert.match(updated.stdout + updated.stderr, /rolled back/);
    const state = await manager([
      'service',
      'inspect',
      '--format',
      '{{.UpdateStatus.State}} {{.Spec.TaskTemplate.ContainerSpec.Image}}',
      `${stack}_mcp`,
    ]);
    assert.match(state.stdout.trim(), new RegExp(`^rollback_completed ${mcpRepo}:${tags.next}$`));
    const { value: tasks } = await waitFor('3 tasks on the previous image', 60_000, async () => {
      const t = await mcpTasks();
      return t.length === 3 && t.every((x) => x.image.endsWith(`:${tags.next}`)) && t;
    });
    assert.equal(tasks.length, 3);
    report(
      `failed update: ${tags.broken} rolled back to ${tags.next} by Swarm in ${seconds.toFixed(1)} s; ${stats.calls} calls meanwhile, ${stats.failed} failed`,
    );
    assert.equal(stats.failed, 0, stats.errors.join('\n'));
  });

  test('draining a worker: its tasks run elsewhere, stateless callers lose no call', async () => {
    const drained = nodeName(2);
    const load = statelessLoad(16, true);
    let seconds = 0;
    try {
      await load.ready();
      await manager(['node', 'update', '--availability', 'drain', drained]);
      ({ seconds } = await waitFor('tasks off the drained node', 120_000, async () => {
        const t = await mcpTasks();
        return t.length === 3 && t.every((x) => x.node !== drained);
      }));
      await delay(2000);
    } finally {
      await load.stop();
      await manager(['node', 'update', '--availability', 'active', drained]);
    }
    const stats = load.stats;
    report(
      `drain ${drained}: 3 tasks running on the other nodes after ${seconds.toFixed(1)} s; ${stats.calls} calls, ${stats.failedFirstTry} failed first try, ${stats.failed} failed after one client retry`,
    );
    assert.equal(stats.failed, 0, stats.errors.join('\n'));
  });

  test('killing a worker: its tasks are rescheduled, stateless callers see no failure a client retry does not hide', async () => {
    const placed = await mcpTasks();
    // The worker with the most mcp tasks dies (after the drain, node 3 holds some).
    const counts = new Map<string, number>();
    for (const t of placed) if (t.node !== nodeName(1)) counts.set(t.node, (counts.get(t.node) ?? 0) + 1);
    const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    if (!busiest) throw new Error('no worker runs an mcp task');
    const [victim, lost] = busiest;
    const load = statelessLoad(16, true);
    let down = { seconds: 0 };
    let seconds = 0;
    let total = 0;
    try {
      await load.ready();
      const start = performance.now();
      await bed(['kill', String(nodeNumber(victim))]);
      down = await waitFor('the dead node marked Down', 60_000, async () => {
        const out = await manager(['node', 'inspect', '--format', '{{.Status.State}}', victim]);
        return out.stdout.trim() === 'down';
      });
      ({ seconds } = await waitFor('3 mcp tasks running on the live nodes', 120_000, async () => {
        const t = await mcpTasks();
        return t.length === 3 && t.every((x) => x.node !== victim);
      }));
      total = (performance.now() - start) / 1000;
      await delay(3000);
    } finally {
      await load.stop();
    }
    const stats = load.stats;
    report(
      `kill ${victim} (${lost} mcp task(s)): node Down after ${down.seconds.toFixed(1)} s, 3 tasks running again after ${total.toFixed(1)} s (${seconds.toFixed(1)} s of polling); ` +
        `${stats.calls} calls, ${stats.failedFirstTry} failed first try (hidden by one client retry), ${stats.failed} failed after the retry`,
    );
    if (stats.errors.length) report(`kill: first errors seen: ${stats.errors.slice(0, 3).join(' | ')}`);
    assert.ok(total < 60, `rescheduling took ${total} s`);
    assert.equal(stats.failed, 0, stats.errors.join('\n'));
  });
});
