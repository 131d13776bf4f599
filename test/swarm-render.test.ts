/**
 * The Swarm stack is rendered from compose.prod.yaml (scripts/swarm/render.mjs + deploy/swarm/compose.swarm.yaml),
 * so the two must agree on everything production is: image, environment, secrets, limits and hardening. This test
 * renders both from the same variables and compares them field by field; the differences Swarm needs are listed
 * explicitly, so any other drift fails. No engine needed (Compose and `docker stack config` run client-side).
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
// @ts-expect-error plain ESM script without type declarations
import { composeConfig, STATELESS_VERSION_RULE, toStack } from '../scripts/swarm/render.mjs';
import { runOk } from './helpers/docker.ts';
import { repoRoot } from './helpers/paths.ts';

// biome-ignore lint/suspicious/noExplicitAny: compose JSON is untyped
type Service = Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: compose JSON is untyped
type Project = any;

let prod: Project;
let swarm: Project;
let stackFile = '';
const stack = 'mcp-render-test';

describe('Swarm rendering agrees with compose.prod.yaml', () => {
  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcp-swarm-render-'));
    for (const name of ['llm_api_key', 'mcp_auth_token', 'tls.crt', 'tls.key']) await writeFile(join(dir, name), 'x\n');
    const env = {
      ...process.env,
      DOMAIN: 'mcp.example.com',
      IMAGE_TAG: '1.2.3',
      MCP_IMAGE: 'registry.example.com/team/mcp',
      TLS_MODE: 'file',
      SECRETS_DIR: dir,
      TLS_CERT_DIR: dir,
      MCP_MEMORY: '768M',
      LOG_LEVEL: 'debug',
    };
    const envFile = join(repoRoot, '.env.example');
    const rendered = await runOk(
      'docker',
      ['compose', '-p', stack, '--env-file', envFile, '-f', 'compose.prod.yaml', 'config', '--format', 'json'],
      { env },
    );
    prod = JSON.parse(rendered.stdout);
    swarm = toStack(composeConfig({ stack, envFile, extraFiles: [] }, env), stack);
    stackFile = join(dir, 'stack.json');
    await writeFile(stackFile, JSON.stringify(swarm));
  });

  test('docker stack accepts the rendered file', async () => {
    const result = await runOk('docker', ['stack', 'config', '-c', stackFile]);
    assert.match(result.stdout, /mcp-stack-tiny|registry\.example\.com\/team\/mcp:1\.2\.3/);
  });

  test('the same services, minus the compose-only ACME chown', () => {
    assert.deepEqual(
      Object.keys(swarm.services).sort(),
      Object.keys(prod.services)
        .filter((s) => s !== 'acme-storage')
        .sort(),
    );
  });

  for (const name of ['mcp', 'traefik', 'socket-proxy']) {
    test(`${name}: same image, environment, secrets, limits and hardening`, () => {
      const p = prod.services[name];
      const s = swarm.services[name];
      assert.equal(s.image, p.image);
      const expectedEnv = { ...(p.environment ?? {}) };
      if (name === 'traefik') {
        // The only environment difference: the Swarm provider replaces the docker provider.
        for (const key of Object.keys(expectedEnv))
          if (key.startsWith('TRAEFIK_PROVIDERS_DOCKER_')) delete expectedEnv[key];
        for (const [key, value] of Object.entries(s.environment))
          if (key.startsWith('TRAEFIK_PROVIDERS_SWARM_')) expectedEnv[key] = value;
        // …and dead tasks on other nodes are given up on quickly (then retried elsewhere).
        // …dead tasks on other nodes are given up on quickly (then retried elsewhere), and task changes apply at once.
        assert.equal(p.environment.TRAEFIK_SERVERSTRANSPORT_FORWARDINGTIMEOUTS_DIALTIMEOUT, undefined);
        assert.equal(p.environment.TRAEFIK_PROVIDERS_PROVIDERSTHROTTLEDURATION, undefined);
        expectedEnv.TRAEFIK_SERVERSTRANSPORT_FORWARDINGTIMEOUTS_DIALTIMEOUT = '3s';
        expectedEnv.TRAEFIK_PROVIDERS_PROVIDERSTHROTTLEDURATION = '200ms';
      }
      assert.deepEqual(s.environment ?? {}, expectedEnv);
      assert.deepEqual(
        (s.secrets ?? []).filter((x: Service) => !x.source.startsWith('tls_')),
        p.secrets ?? [],
      );
      const limits = (svc: Service) =>
        JSON.parse(JSON.stringify(svc.deploy?.resources ?? {}).replace(/"cpus":(\d+(\.\d+)?)/g, '"cpus":"$1"'));
      assert.deepEqual(limits(s), limits(p));
      // The socket proxy's GET allow-list is widened for the Swarm provider (checked below); the rest is equal.
      const command = (svc: Service) => svc.command?.filter((a: string) => !a.startsWith('-allowGET='));
      assert.deepEqual(command(s) ?? null, command(p) ?? null, `${name}.command`);
      for (const key of [
        'read_only',
        'cap_drop',
        'cap_add',
        'user',
        'init',
        'healthcheck',
        'stop_grace_period',
        'logging',
        'entrypoint',
      ]) {
        assert.deepEqual(s[key] ?? null, p[key] ?? null, `${name}.${key}`);
      }
      // security_opt is not a Swarm service option: prod's no-new-privileges comes from the engine default on
      // every node (docs/scaling.md; the multi-node test checks the running tasks).
      assert.deepEqual(p.security_opt, ['no-new-privileges:true']);
      assert.equal(s.security_opt, undefined);
      // Every label prod sets is a service label on Swarm, unchanged.
      for (const [key, value] of Object.entries(p.labels ?? {})) assert.equal(s.deploy.labels[key], value, key);
    });
  }

  test('mcp: the /tmp tmpfs keeps its size; the prod limits follow MCP_MEMORY', () => {
    assert.deepEqual(prod.services.mcp.tmpfs, ['/tmp:size=64m,mode=1777']);
    assert.deepEqual(swarm.services.mcp.volumes, [
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 64 * 1024 * 1024, mode: 0o1777 } },
    ]);
    assert.equal(swarm.services.mcp.deploy.resources.limits.memory, String(768 * 1024 * 1024));
  });

  test('mcp: replicated over nodes, rolling start-first updates that roll back, healthcheck-gated, dnsrr', () => {
    const d = swarm.services.mcp.deploy;
    assert.equal(d.replicas, 3);
    assert.equal(d.endpoint_mode, 'dnsrr');
    assert.equal(d.placement.max_replicas_per_node, 2);
    assert.deepEqual(
      {
        parallelism: d.update_config.parallelism,
        order: d.update_config.order,
        failure_action: d.update_config.failure_action,
      },
      { parallelism: 1, order: 'start-first', failure_action: 'rollback' },
    );
    assert.ok(d.update_config.monitor, 'update monitor period');
    assert.equal(d.rollback_config.order, 'start-first');
    assert.equal(d.restart_policy.condition, 'any');
    // The health check gating start-first is production's (compose.prod.yaml: the image's own probe, which
    // honours /tmp/leaving, with production's timings), not dropped or replaced here.
    assert.equal(prod.services.mcp.healthcheck?.test, undefined, "production runs the image's probe");
    assert.ok(prod.services.mcp.healthcheck?.interval, "production's own timings");
    assert.deepEqual(swarm.services.mcp.healthcheck, prod.services.mcp.healthcheck);
  });

  test('mcp: 2025 sessions and legacy SSE keep client-IP affinity; 2026-07-28 requests spread over every task', () => {
    const l = swarm.services.mcp.deploy.labels;
    assert.equal(l['traefik.http.services.mcp.loadbalancer.strategy'], 'hrw');
    assert.equal(l['traefik.http.routers.mcp.service'], 'mcp');
    assert.equal(
      l['traefik.http.routers.mcp-stateless.rule'],
      `(Host(\`mcp.example.com\`)) && ${STATELESS_VERSION_RULE}`,
    );
    assert.equal(l['traefik.http.routers.mcp-stateless.service'], 'mcp-stateless');
    assert.equal(l['traefik.http.services.mcp-stateless.loadbalancer.strategy'], undefined);
    assert.equal(l['traefik.http.services.mcp-stateless.loadbalancer.server.port'], '8000');
    assert.equal(
      l['traefik.http.routers.mcp-stateless.middlewares'],
      `${l['traefik.http.routers.mcp.middlewares']},mcp-stateless-retry`,
    );
    assert.equal(l['traefik.http.middlewares.mcp-stateless-retry.retry.status'], '502-504');
    for (const svc of ['mcp', 'mcp-stateless'])
      assert.equal(l[`traefik.http.services.${svc}.loadbalancer.passivehealthcheck.maxfailedattempts`], '1');
    assert.equal(l['traefik.http.middlewares.mcp-stateless-retry.retry.retrynonidempotentmethod'], 'true');
    assert.ok(
      !Object.keys(l).some((k) => k.startsWith('traefik.http.routers.mcp.') && l[k].includes('retry')),
      'sessions are never retried elsewhere',
    );
    assert.equal(swarm.services.mcp.labels, undefined, 'container labels are invisible to the Swarm provider');
    const rule = new RegExp(String(/`(\^[^`]+)`\)$/.exec(STATELESS_VERSION_RULE)?.[1]));
    for (const v of ['2026-07-28', '2027-01-01']) assert.match(v, rule);
    for (const v of ['2025-11-25', '2025-06-18', '2024-11-05']) assert.doesNotMatch(v, rule);
  });

  test('traefik: one replica on the edge manager, host-mode ports, Swarm provider, files from configs and secrets', () => {
    const t = swarm.services.traefik;
    assert.equal(t.deploy.replicas, 1);
    assert.deepEqual(t.deploy.placement.constraints, ['node.role == manager', 'node.labels.mcp-stack.edge == true']);
    assert.deepEqual(
      t.ports.map((p: Service) => [p.target, p.mode]),
      [
        [8000, 'host'],
        [8443, 'host'],
      ],
    );
    assert.equal(t.environment.TRAEFIK_PROVIDERS_SWARM_ENDPOINT, 'tcp://socket-proxy:2375');
    assert.equal(
      t.environment.TRAEFIK_PROVIDERS_SWARM_CONSTRAINTS,
      `Label(\`com.docker.stack.namespace\`,\`${stack}\`)`,
    );
    assert.ok(!t.volumes.some((v: Service) => v.type === 'bind'), 'no bind mounts: nothing has to exist on the node');
    assert.deepEqual(t.configs.map((c: Service) => c.target).sort(), [
      '/etc/traefik/dynamic/middlewares.yml',
      '/etc/traefik/dynamic/tls.yml',
    ]);
    assert.deepEqual(t.secrets.map((c: Service) => c.target).sort(), ['/certs/tls.crt', '/certs/tls.key']);
    for (const [key, config] of Object.entries(swarm.configs as Record<string, Service>))
      assert.match(config.name, new RegExp(`^${stack}_${key}-[0-9a-f]{12}$`));
  });

  test('socket proxy: on the managers, GET-only reads of the Swarm objects added, nothing else', () => {
    const p = swarm.services['socket-proxy'];
    assert.equal(p.deploy.mode, 'global');
    assert.deepEqual(p.deploy.placement.constraints, ['node.role == manager']);
    const allow = p.command.filter((a: string) => /^-allow[A-Z]/.test(a));
    const prodAllow = prod.services['socket-proxy'].command.filter((a: string) => /^-allow[A-Z]/.test(a));
    assert.deepEqual(
      allow.map((a: string) => a.split('=')[0]),
      prodAllow.map((a: string) => a.split('=')[0]),
      'no new methods',
    );
    const get = new RegExp(`^${allow.find((a: string) => a.startsWith('-allowGET=')).slice('-allowGET='.length)}$`);
    for (const path of [
      '/v1.45/services',
      '/v1.45/tasks?filters=x',
      '/v1.45/nodes/abc',
      '/v1.45/networks',
      '/v1.45/version',
    ])
      assert.match(path, get);
    for (const path of ['/v1.45/secrets', '/v1.45/configs', '/v1.45/swarm', '/v1.45/exec/1/json'])
      assert.doesNotMatch(path, get);
  });

  test('networks: overlays, the backend encrypted, the Docker API internal', () => {
    for (const net of Object.values(swarm.networks as Record<string, Service>)) assert.equal(net.driver, 'overlay');
    assert.deepEqual(swarm.networks.backend.driver_opts, { encrypted: 'true' });
    assert.equal(swarm.networks['docker-api'].internal, true);
  });
});
