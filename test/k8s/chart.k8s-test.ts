/**
 * The Helm chart on a real single-node Kubernetes (scripts/k8s/test.sh brings the cluster up, imports the images and
 * sets KUBECONFIG; `make test-k8s`). Real parts throughout: the production image, the chart as users install it,
 * an in-cluster Ollama as the OpenAI-compatible LLM, and the official SDK clients of three protocol generations
 * talking to the Service's NodePort on loopback.
 */
import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, runOk } from '../helpers/docker.ts';
import {
  type ClientTarget,
  connectLegacySse,
  connectStreamableV1,
  connectV2,
  resultText,
} from '../helpers/mcp-clients.ts';
import { repoRoot } from '../helpers/paths.ts';

const image = required('K8S_TEST_IMAGE');
// ollama (default): the real Ollama server image; standin: test/k8s/llm-standin.yaml (said in the output).
const llmKind = process.env.K8S_TEST_LLM === 'standin' ? 'standin' : 'ollama';
const ollamaImage = llmKind === 'ollama' ? required('K8S_TEST_OLLAMA_IMAGE') : '';
const figuresFile = process.env.K8S_FIGURES;
const namespace = 'mcp';
const release = 'mcp';
const fullname = 'mcp-mcp-stack';
const chart = `${repoRoot}/deploy/kubernetes/mcp-stack`;
const values = `${repoRoot}/test/k8s/values.yaml`;
const nodePort = 30800;
const baseUrl = `http://127.0.0.1:${nodePort}`;
const selector = `app.kubernetes.io/instance=${release},app.kubernetes.io/name=mcp-stack`;
let token = '';
type CallResult = { content?: unknown; isError?: boolean; structuredContent?: unknown };

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this test through scripts/k8s/test.sh (make test-k8s)`);
  return value;
}

/** A program's stdout; a non-zero exit is an error carrying its output. */
const sh = async (file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}) =>
  (await runOk(file, args, options)).stdout;
const kubectl = (...args: string[]) => sh('kubectl', args);
const helm = (...args: string[]) => sh('helm', args, { timeoutMs: 600_000 });

async function figure(line: string): Promise<void> {
  console.log(`figure: ${line}`);
  if (figuresFile) await appendFile(figuresFile, `${line}\n`);
}

interface PodInfo {
  name: string;
  ip: string;
  image: string;
  ready: boolean;
  deleting: boolean;
}
async function servicePods(): Promise<PodInfo[]> {
  const list = JSON.parse(await kubectl('-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json')) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string };
      status: { podIP?: string; conditions?: { type: string; status: string }[] };
      spec: { containers: { image: string }[] };
    }[];
  };
  return list.items.map((p) => ({
    name: p.metadata.name,
    ip: p.status.podIP ?? '',
    image: p.spec.containers[0]?.image ?? '',
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: p.metadata.deletionTimestamp !== undefined,
  }));
}

/**
 * A fetch for load generators that retries a call once when the replica it reached is going away: a 503 from a
 * draining pod (the service answers 503 + Connection: close once SIGTERM arrived) or a connection closed under
 * it. Kept-alive connections through a NodePort stay pinned to their pod by conntrack after the endpoint is
 * removed, so a client on such a connection meets the drain once. Retries are counted and reported, never hidden.
 */
function retryingFetch(stats: LoadStats): typeof fetch {
  return async (input, init) => {
    try {
      const response = await fetch(input, init);
      if (response.status !== 503) return response;
      await response.arrayBuffer().catch(() => undefined);
    } catch {
      // fall through to the retry
    }
    stats.retried++;
    return fetch(input, init);
  };
}

interface LoadStats {
  ok: number;
  failed: number;
  retried: number;
  errors: string[];
}

/** Constant 2026-07-28 load: `workers` clients calling server_info back to back until stopped. */
async function startLoad(workers: number): Promise<{ stats: LoadStats; stop(): Promise<LoadStats> }> {
  const stats: LoadStats = { ok: 0, failed: 0, retried: 0, errors: [] };
  let running = true;
  const target: ClientTarget = { baseUrl, fetch: retryingFetch(stats), token };
  const clients = await Promise.all(Array.from({ length: workers }, () => connectV2(target, { pin: '2026-07-28' })));
  const loops = clients.map(async (c) => {
    while (running) {
      try {
        const result = await c.client.callTool({ name: 'server_info', arguments: {} });
        if (result.isError) throw new Error(resultText(result));
        stats.ok++;
      } catch (error) {
        stats.failed++;
        if (stats.errors.length < 10) stats.errors.push(error instanceof Error ? error.message : String(error));
        await sleep(50);
      }
    }
  });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      return stats;
    },
  };
}

/** Which pod the NodePort sends this client to: the DNAT targets in conntrack for the node port. */
async function podsServingLoad(pods: PodInfo[]): Promise<PodInfo[]> {
  const table = await sh('conntrack', ['-L', '-p', 'tcp', '--orig-port-dst', String(nodePort)]).catch(() => '');
  const counts = new Map<string, number>();
  for (const line of table.split('\n')) {
    // "... dport=30800 src=<pod IP> dst=... sport=8000": the reply direction names the pod it was DNATed to.
    const reply = new RegExp(`dport=${nodePort} src=(\\S+) dst=\\S+ sport=8000 `).exec(line);
    if (reply?.[1]) counts.set(reply[1], (counts.get(reply[1]) ?? 0) + 1);
  }
  return pods.filter((p) => counts.has(p.ip)).sort((a, b) => (counts.get(b.ip) ?? 0) - (counts.get(a.ip) ?? 0));
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

async function authToken(): Promise<string> {
  const b64 = await kubectl(
    '-n',
    namespace,
    'get',
    'secret',
    `${fullname}-auth`,
    '-o',
    'jsonpath={.data.mcp_auth_token}',
  );
  return Buffer.from(b64, 'base64').toString('utf8');
}

describe('Helm chart on a real single-node Kubernetes', { concurrency: false }, () => {
  before(async () => {
    const manifest =
      llmKind === 'ollama'
        ? (await readFile(`${repoRoot}/test/k8s/ollama.yaml`, 'utf8')).replace('OLLAMA_IMAGE', ollamaImage)
        : (await readFile(`${repoRoot}/test/k8s/llm-standin.yaml`, 'utf8')).replace('STANDIN_IMAGE', `${image}:k8s-1`);
    await figure(
      `LLM in the cluster: ${llmKind === 'ollama' ? `real Ollama (${ollamaImage}), OpenAI-compatible /v1` : 'llm-standin (test/k8s/llm-standin.yaml), NOT a model'}`,
    );
    await sh('kubectl', ['apply', '-f', '-'], { input: manifest });
    await kubectl('-n', 'llm', 'rollout', 'status', 'deployment/ollama', '--timeout=180s');

    const started = Date.now();
    const installOutput = await helm(
      'install',
      release,
      chart,
      '--namespace',
      namespace,
      '--create-namespace',
      '-f',
      values,
      '--set',
      `image.repository=${image}`,
      '--set',
      'image.tag=k8s-1',
      '--set',
      'image.pullPolicy=Never',
      '--wait',
      '--timeout',
      '5m',
    );
    await figure(`helm install --wait (2 replicas Ready): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    token = await authToken();
    assert.ok(token.length >= 32, 'the chart generated a token into its Secret');
    assert.match(installOutput, /NOTES:/);
    assert.ok(!installOutput.includes(token), 'helm install output (NOTES) does not print the token');
  });

  after(async () => {
    // The cluster is torn down by scripts/k8s/test.sh either way; this keeps a rerun on the same cluster clean.
    await run('helm', ['uninstall', release, '--namespace', namespace, '--wait']);
    await run('kubectl', [
      'delete',
      'namespace',
      'llm',
      namespace,
      '--ignore-not-found',
      '--wait=true',
      '--timeout=120s',
    ]);
  });

  test('the Deployment runs 2 hardened, ready replicas', async () => {
    const pods = await servicePods();
    assert.equal(pods.length, 2);
    assert.ok(
      pods.every((p) => p.ready && p.image === `${image}:k8s-1`),
      JSON.stringify(pods),
    );
    const spec = JSON.parse(await kubectl('-n', namespace, 'get', 'deployment', fullname, '-o', 'json')).spec;
    const pod = spec.template.spec;
    const container = pod.containers[0];
    assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(
      {
        nonRoot: pod.securityContext.runAsNonRoot,
        uid: pod.securityContext.runAsUser,
        seccomp: pod.securityContext.seccompProfile.type,
      },
      { nonRoot: true, uid: 1000, seccomp: 'RuntimeDefault' },
    );
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.ok(pod.terminationGracePeriodSeconds > 20 + container.lifecycle.preStop.sleep.seconds);
    // What the kernel says, not only the spec: the service process runs as uid 1000.
    const status = await kubectl(
      '-n',
      namespace,
      'exec',
      `deploy/${fullname}`,
      '--',
      'node',
      '-e',
      "process.stdout.write(require('fs').readFileSync('/proc/1/status','utf8'))",
    );
    assert.match(status, /^Uid:\s+1000\s/m);
  });

  test('/readyz is ready because the in-cluster LLM answers', async () => {
    const res = await fetch(`${baseUrl}/readyz`);
    const body = (await res.json()) as { status: string; llm: { provider: string; model: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.llm, { provider: 'openai', model: 'mcp-stack-tiny' });
  });

  test('2026-07-28, 2025 session and legacy SSE clients list tools and call server_info with the Secret token', async () => {
    const target: ClientTarget = { baseUrl, fetch, token };
    const modern = await connectV2(target, { pin: '2026-07-28' });
    const session = await connectStreamableV1(target);
    const legacy = await connectLegacySse(target);
    try {
      assert.equal(modern.negotiatedVersion, '2026-07-28');
      assert.match(session.negotiatedVersion ?? '', /^2025-/);
      for (const [name, client] of [
        ['2026-07-28', modern.client],
        ['2025 session', session.client],
        ['legacy SSE', legacy.client],
      ] as const) {
        const { tools } = await client.listTools();
        assert.ok(
          tools.some((t) => t.name === 'server_info'),
          `${name}: tools/list has server_info`,
        );
        // SDK v1's result type also admits the pre-2024 `toolResult` shape; these servers answer with content.
        const info = (await client.callTool({ name: 'server_info', arguments: {} })) as CallResult;
        assert.equal(info.isError ?? false, false, `${name}: ${resultText(info)}`);
        const structured = info.structuredContent as {
          version: string;
          environment: string;
          provider: string;
          model: string;
        };
        assert.deepEqual(
          { environment: structured.environment, provider: structured.provider, model: structured.model },
          { environment: 'production', provider: 'openai', model: 'mcp-stack-tiny' },
          name,
        );
      }
      // One real model call through the cluster: service pod -> Ollama pod, OpenAI API.
      const answer = await modern.client.callTool({ name: 'ask', arguments: { question: 'Say hello.' } });
      assert.equal(answer.isError ?? false, false, resultText(answer));
    } finally {
      await Promise.all([modern.close(), session.close(), legacy.close()].map((p) => p.catch(() => undefined)));
    }
  });

  test('a wrong token gets 401 with a Bearer challenge', async () => {
    const res = await fetch(`${baseUrl}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: 'Bearer wrong-token-0123456789',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
    const none = await fetch(`${baseUrl}/api/tools`);
    assert.equal(none.status, 401);
  });

  test('helm upgrade to a new image tag under constant 2026-07-28 load: 0 failed calls', async () => {
    const load = await startLoad(4);
    await sleep(2000);
    const started = Date.now();
    await helm(
      'upgrade',
      release,
      chart,
      '--namespace',
      namespace,
      '-f',
      values,
      '--set',
      `image.repository=${image}`,
      '--set',
      'image.tag=k8s-2',
      '--set',
      'image.pullPolicy=Never',
      '--wait',
      '--timeout',
      '5m',
    );
    const upgradeSeconds = (Date.now() - started) / 1000;
    // Until the old pods are gone, not only until the new ones are Ready.
    await waitFor('the old pods to be gone', 120_000, async () => {
      const pods = await servicePods();
      return pods.length === 2 && pods.every((p) => p.image === `${image}:k8s-2` && p.ready && !p.deleting)
        ? true
        : undefined;
    });
    await sleep(3000);
    const stats = await load.stop();
    await figure(
      `helm upgrade under load: ${upgradeSeconds.toFixed(1)} s, ${stats.ok} calls ok, ${stats.failed} failed, ${stats.retried} retried once (drain 503 / closed kept-alive connection)`,
    );
    assert.equal(stats.failed, 0, stats.errors.join('\n'));
    assert.ok(stats.ok > 50, `the load ran (${stats.ok} calls)`);
    assert.equal(await authToken(), token, 'the generated token survives the upgrade');
    const modern = await connectV2({ baseUrl, fetch, token }, { pin: '2026-07-28' });
    const info = await modern.client.callTool({ name: 'server_info', arguments: {} });
    await modern.close();
    assert.equal(info.isError ?? false, false);
  });

  test('a pod deleted under load is replaced; no call fails beyond one retry', async () => {
    const load = await startLoad(4);
    await sleep(2000);
    const before = await servicePods();
    const serving = await podsServingLoad(before);
    const victim = serving[0] ?? before[0];
    assert.ok(victim, 'a pod to delete');
    const started = Date.now();
    await kubectl('-n', namespace, 'delete', 'pod', victim.name, '--wait=false');
    const replaced = await waitFor('a replacement pod to be Ready', 180_000, async () => {
      const pods = await servicePods();
      const live = pods.filter((p) => p.ready && !p.deleting);
      return live.length === 2 && !live.some((p) => p.name === victim.name) && !pods.some((p) => p.name === victim.name)
        ? live
        : undefined;
    });
    const replaceSeconds = (Date.now() - started) / 1000;
    await sleep(3000);
    const stats = await load.stop();
    await figure(
      `pod ${serving.length ? 'serving the load' : '(conntrack showed none; first)'} deleted under load: replaced in ${replaceSeconds.toFixed(1)} s, ${stats.ok} calls ok, ${stats.failed} failed, ${stats.retried} retried once`,
    );
    assert.equal(stats.failed, 0, stats.errors.join('\n'));
    assert.equal(replaced.length, 2);
  });

  test('helm test passes (/healthz and an MCP tools/list from inside the cluster)', async () => {
    // The test pod exits 0 only after /healthz and an MCP tools/list answered (templates/tests); it is deleted once it
    // succeeded (hook-succeeded), so its phase is what there is to read, not its logs.
    const out = await helm('test', release, '--namespace', namespace, '--timeout', '3m');
    assert.match(out, /TEST SUITE:\s+mcp-mcp-stack-test/);
    assert.match(out, /Phase:\s+Succeeded/);
  });

  test('helm uninstall leaves nothing of the release behind', async () => {
    await helm('uninstall', release, '--namespace', namespace, '--wait', '--timeout', '3m');
    const left = await waitFor('the release objects to be gone', 120_000, async () => {
      const out = await kubectl(
        '-n',
        namespace,
        'get',
        'all,configmaps,secrets,serviceaccounts,poddisruptionbudgets,networkpolicies,ingresses,horizontalpodautoscalers,endpointslices',
        '-o',
        'name',
      );
      // Only what every namespace has by itself may stay.
      const rest = out
        .split('\n')
        .filter((l) => l && l !== 'configmap/kube-root-ca.crt' && l !== 'serviceaccount/default');
      return rest.length === 0 ? rest : undefined;
    });
    assert.deepEqual(left, []);
  });
});
