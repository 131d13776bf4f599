#!/usr/bin/env node
// Renders the Swarm stack file from the production source of truth: `docker compose config` of compose.prod.yaml
// with deploy/swarm/compose.swarm.yaml (and deploy/swarm/tls-<TLS_MODE>.yaml) merged on top, then the few
// mechanical rewrites Compose cannot express in an override file. Prints the stack file (JSON, which
// `docker stack deploy -c` reads as YAML) on stdout.
//
//   node scripts/swarm/render.mjs [--stack NAME] [--env-file FILE] [-f EXTRA.yaml ...] > stack.json
//
// The stack name is also the Compose project name, so ${COMPOSE_PROJECT_NAME} in the files is the stack's name.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Arguments: the stack name, an env file, extra override files (the test bed's, a user's own). */
export function parseArgs(argv) {
  const options = { stack: process.env.STACK_NAME || process.env.COMPOSE_PROJECT_NAME || 'mcp-stack', envFile: undefined, extraFiles: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--stack') options.stack = value();
    else if (arg === '--env-file') options.envFile = resolve(value());
    else if (arg === '-f' || arg === '--file') options.extraFiles.push(resolve(value()));
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

/** The compose files, in merge order. */
export function composeFiles(tlsMode, extraFiles = []) {
  const files = ['compose.prod.yaml', 'deploy/swarm/compose.swarm.yaml'];
  const tls = `deploy/swarm/tls-${tlsMode}.yaml`;
  if (existsSync(resolve(repoRoot, tls))) files.push(tls);
  return [...files, ...extraFiles];
}

/** `docker compose config` of the merged files: extends, env files and variables resolved by Compose itself. */
export function composeConfig({ stack, envFile, extraFiles }, env = process.env) {
  const tlsMode = env.TLS_MODE || readEnvFileValue(envFile ?? resolve(repoRoot, '.env'), 'TLS_MODE') || 'acme';
  const args = ['compose', '--project-directory', repoRoot, '-p', stack];
  if (envFile) args.push('--env-file', envFile);
  for (const file of composeFiles(tlsMode, extraFiles)) args.push('-f', resolve(repoRoot, file));
  args.push('config', '--format', 'json');
  const out = execFileSync('docker', args, { cwd: repoRoot, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out);
}

function readEnvFileValue(file, key) {
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${key}=`));
  return line?.slice(key.length + 1).trim() || undefined;
}

/** Compose-only keys Swarm ignores (or refuses): ordering, restart policy (deploy.restart_policy replaces it). */
const COMPOSE_ONLY_KEYS = ['depends_on', 'restart', 'container_name', 'profiles'];

/**
 * The rewrites, each for a reason Swarm has:
 * - Traefik's Swarm provider reads service labels: container labels move to deploy.labels;
 * - the mcp router gets a stateless twin: 2026-07-28 requests (every one of them carries
 *   MCP-Protocol-Version: 2026-…, even the first) go to a weighted round robin over every task, while
 *   2025 sessions and legacy SSE keep the client-IP affinity (hrw) of compose.prod.yaml;
 * - Traefik drops the docker provider (the Swarm provider replaces it); the socket proxy also lets GET through
 *   for the Swarm objects that provider reads (services, tasks, nodes);
 * - `tmpfs:` becomes a tmpfs mount (Swarm services have no `tmpfs:` option);
 * - `security_opt` is not a Swarm service option: no-new-privileges is the engine-wide default on every node
 *   (`"no-new-privileges": true` in daemon.json, docs/scaling.md), so it is dropped here and asserted by the test;
 * - configs get a content hash in their name (Swarm configs are immutable: an edited file is a new config).
 */
export function toStack(config, stack) {
  const out = structuredClone(config);
  delete out.name;
  for (const [name, service] of Object.entries(out.services)) {
    for (const key of COMPOSE_ONLY_KEYS) delete service[key];
    for (const [key, value] of Object.entries(service)) if (value === null) delete service[key];
    for (const port of service.ports ?? []) if (typeof port.published === 'string') port.published = Number(port.published);
    // The stack file schema wants CPU counts as strings ("1.0"); Compose prints numbers.
    for (const kind of ['limits', 'reservations']) {
      const resources = service.deploy?.resources?.[kind];
      if (resources?.cpus !== undefined) resources.cpus = String(resources.cpus);
    }
    delete service.security_opt;
    if (service.labels && Object.keys(service.labels).length > 0) {
      service.deploy ??= {};
      service.deploy.labels = { ...service.deploy.labels, ...service.labels };
      delete service.labels;
    }
    if (service.tmpfs) {
      service.volumes ??= [];
      for (const spec of [service.tmpfs].flat()) service.volumes.push(tmpfsMount(spec));
      delete service.tmpfs;
    }
    for (const volume of service.volumes ?? []) {
      delete volume.bind?.create_host_path;
      if (volume.bind && Object.keys(volume.bind).length === 0) delete volume.bind;
      if (volume.volume && Object.keys(volume.volume).length === 0) delete volume.volume;
    }
    if (name === 'mcp') addStatelessRouter(service.deploy.labels, 'mcp');
    if (name === 'traefik') {
      for (const key of Object.keys(service.environment ?? {})) if (key.startsWith('TRAEFIK_PROVIDERS_DOCKER_')) delete service.environment[key];
    }
    if (name === 'socket-proxy') service.command = service.command.map(allowSwarmReads);
  }
  for (const [key, config] of Object.entries(out.configs ?? {})) {
    const hash = createHash('sha256').update(readFileSync(config.file)).digest('hex').slice(0, 12);
    config.name = `${stack}_${key}-${hash}`;
  }
  return out;
}

/** "/tmp:size=64m,mode=1777" as a Swarm tmpfs mount. */
export function tmpfsMount(spec) {
  const [target, opts = ''] = spec.split(':');
  const mount = { type: 'tmpfs', target, tmpfs: {} };
  for (const opt of opts.split(',').filter(Boolean)) {
    const [k, v] = opt.split('=');
    if (k === 'size') mount.tmpfs.size = toBytes(v);
    else if (k === 'mode') mount.tmpfs.mode = Number.parseInt(v, 8);
    else throw new Error(`tmpfs option ${k} has no Swarm equivalent (${spec})`);
  }
  return mount;
}

function toBytes(size) {
  const m = /^(\d+)([kmg]?)b?$/i.exec(size);
  if (!m) throw new Error(`cannot read tmpfs size ${size}`);
  return Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
}

/** MCP-Protocol-Version of the 2026-07-28 era and later: stateless, any task can answer. */
export const STATELESS_VERSION_RULE = 'HeaderRegexp(`Mcp-Protocol-Version`, `^20(2[6-9]|[3-9][0-9])-`)';

function addStatelessRouter(labels, router) {
  const twin = `${router}-stateless`;
  const routerPrefix = `traefik.http.routers.${router}.`;
  const servicePrefix = `traefik.http.services.${router}.`;
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith(routerPrefix)) labels[`traefik.http.routers.${twin}.${key.slice(routerPrefix.length)}`] = value;
    if (key.startsWith(servicePrefix) && !key.endsWith('.loadbalancer.strategy')) labels[`traefik.http.services.${twin}.${key.slice(servicePrefix.length)}`] = value;
  }
  const rule = labels[`${routerPrefix}rule`];
  if (!rule) throw new Error(`router ${router} has no rule`);
  labels[`traefik.http.routers.${twin}.rule`] = `(${rule}) && ${STATELESS_VERSION_RULE}`;
  labels[`traefik.http.routers.${twin}.service`] = twin;
  // A task on its way out answers 503 (draining: the call did not run), refuses or drops the connection (Traefik
  // answers 502), or no longer answers at all (504): Traefik sends the request to another task, POST included.
  // Only on the stateless router, where any task can answer. (A task that dies in the middle of a call may
  // have run it: the retry then runs it again, as a client's own retry would.)
  const retry = `traefik.http.middlewares.${twin}-retry.retry`;
  labels[`${retry}.attempts`] = '4';
  labels[`${retry}.status`] = '502-504';
  labels[`${retry}.retrynonidempotentmethod`] = 'true';
  const middlewares = labels[`traefik.http.routers.${twin}.middlewares`];
  labels[`traefik.http.routers.${twin}.middlewares`] = [middlewares, `${twin}-retry`].filter(Boolean).join(',');
}

function allowSwarmReads(arg) {
  if (!arg.startsWith('-allowGET=')) return arg;
  const widened = arg.replace(/\|networks\.\*\)/, '|networks.*|services.*|tasks.*|nodes.*)');
  if (widened === arg) throw new Error(`socket proxy: cannot extend ${arg} with the Swarm reads`);
  return widened;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const options = parseArgs(process.argv.slice(2));
    process.stdout.write(`${JSON.stringify(toStack(composeConfig(options), options.stack), null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`render: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
