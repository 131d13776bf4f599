/**
 * `make deploy-check` (scripts/deploy/check.py), the preflight `make deploy` runs first, against deployment
 * directories with one mistake each — the mistakes a new user made following the old README (issue #16) — and
 * what compose.prod.yaml renders for production defaults. Needs the Docker CLI with Compose v2 (it renders the
 * real compose file); starts no container.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { imageFor } from '@mcp-stack/test-support/pins';
import { composeContainers, requireDockerEngine, run, runOk } from './helpers/docker.ts';
import { repoRoot } from './helpers/paths.ts';

const dirs: string[] = [];
let certs = '';
let otherCerts = '';

/** A deployment directory as a host has it: the compose files (with the image pins), traefik/, an env file, secrets. */
async function deployDir(env: Record<string, string>, opts: { secrets?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-deploy-check-'));
  dirs.push(dir);
  for (const item of [
    'compose.prod.yaml',
    'compose.base.yaml',
    'images/compose.pins.yaml',
    'traefik',
    '.env.example',
  ]) {
    await cp(join(repoRoot, item), join(dir, item), { recursive: true });
  }
  const values = {
    COMPOSE_PROJECT_NAME: `mcp-deploy-check-${randomBytes(3).toString('hex')}`,
    DOMAIN: 'prod.localhost',
    IMAGE_TAG: 'test',
    MCP_IMAGE: 'mcp-stack-test/none',
    TLS_MODE: 'file',
    TLS_CERT_DIR: certs,
    HTTP_PORT: '',
    HTTPS_PORT: '',
    ...env,
  };
  await writeFile(
    join(dir, '.env'),
    Object.entries(values)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  if (opts.secrets !== false) {
    await runOk('install', ['-d', '-m', '700', join(dir, 'secrets')]);
    await writeFile(join(dir, 'secrets', 'llm_api_key'), 'sk-test-key');
    await writeFile(join(dir, 'secrets', 'mcp_auth_token'), randomBytes(32).toString('hex'));
    await chmod(join(dir, 'secrets', 'llm_api_key'), 0o644);
    await chmod(join(dir, 'secrets', 'mcp_auth_token'), 0o644);
  }
  return dir;
}

/** Runs the preflight in `dir` with a clean environment (only PATH and HOME): the env file is the input. */
function check(dir: string) {
  return run('python3', [join(repoRoot, 'scripts', 'deploy', 'check.py')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DOCKER_HOST: process.env.DOCKER_HOST ?? '',
    },
  });
}

function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('deploy-check: ') && !/problem\(s\)/.test(l));
}

describe('make deploy-check: one line per problem, each saying what to do', () => {
  before(async () => {
    await requireDockerEngine();
    const base = await mkdtemp(join(tmpdir(), 'mcp-deploy-check-certs-'));
    dirs.push(base);
    certs = join(base, 'prod');
    otherCerts = join(base, 'other');
    // The documented recipe (docs/deployment.md), run as root here: key 0600 owned by Traefik's uid.
    await runOk('bash', ['scripts/certs.sh', '--domain', 'prod.localhost', certs]);
    await runOk('bash', ['scripts/certs.sh', '--domain', 'other.localhost', otherCerts]);
  });

  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('a complete deployment passes', async () => {
    const dir = await deployDir({});
    const result = await check(dir);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(
      result.stdout,
      /deploy-check: ok: project mcp-deploy-check-\w+, image mcp-stack-test\/none:test, https:\/\/prod\.localhost \(TLS file\)/,
    );
  });

  test('no env file: says how to make one', async () => {
    const dir = await deployDir({});
    await rm(join(dir, '.env'));
    const result = await check(dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\.env does not exist; cp \.env\.example \.env and set DOMAIN/);
  });

  test('every missing required variable is named at once, with the other checks still run', async () => {
    const dir = await deployDir({ DOMAIN: '', IMAGE_TAG: '', TLS_MODE: 'acme' }, { secrets: false });
    const result = await check(dir);
    assert.equal(result.code, 1);
    const lines = problemLines(result.stderr);
    for (const name of ['IMAGE_TAG', 'DOMAIN', 'ACME_EMAIL']) {
      assert.ok(
        lines.some((l) => l.startsWith(`deploy-check: ${name} is not set: add ${name}=`)),
        `${name}: ${lines.join('\n')}`,
      );
    }
    assert.ok(
      lines.some((l) => /secret llm_api_key: .* does not exist; create it: install -d -m 700/.test(l)),
      lines.join('\n'),
    );
  });

  test('an empty secret file (printf of an unset variable) is caught before anything starts', async () => {
    const dir = await deployDir({});
    await writeFile(join(dir, 'secrets', 'llm_api_key'), '');
    const result = await check(dir);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /secret llm_api_key: .*llm_api_key is empty \(an unset variable writes an empty file\); fill it/,
    );
  });

  test('a secret the service (uid 1000) cannot read', async () => {
    const dir = await deployDir({});
    await chown(join(dir, 'secrets', 'mcp_auth_token'), 0, 0);
    await chmod(join(dir, 'secrets', 'mcp_auth_token'), 0o600);
    const result = await check(dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /secret mcp_auth_token: .* is not readable by the service \(uid 1000\); chmod 644/);
  });

  test('file mode: a certificate that does not cover DOMAIN (the dev *.localhost one, or another name)', async () => {
    const dir = await deployDir({ TLS_CERT_DIR: otherCerts });
    const result = await check(dir);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /certificate: .*tls\.crt does not cover DOMAIN=prod\.localhost \(it names: DNS:other\.localhost\); make one that does: scripts\/certs\.sh --domain prod\.localhost/,
    );
  });

  test('file mode: a root-owned 0600 key Traefik (uid 65532) cannot read, and a key of another certificate', async () => {
    const certDir = await mkdtemp(join(tmpdir(), 'mcp-deploy-check-badkey-'));
    dirs.push(certDir);
    await cp(join(certs, 'tls.crt'), join(certDir, 'tls.crt'));
    await cp(join(otherCerts, 'tls.key'), join(certDir, 'tls.key'));
    await chown(join(certDir, 'tls.key'), 0, 0);
    await chmod(join(certDir, 'tls.key'), 0o600);
    await chmod(certDir, 0o755);
    const dir = await deployDir({ TLS_CERT_DIR: certDir });
    const result = await check(dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /tls\.key is not readable by Traefik \(uid 65532, no capabilities\); chown 65532/);
    assert.match(result.stderr, /tls\.key does not belong to .*tls\.crt/);
  });

  test("the dev stack's project name is refused", async () => {
    const dir = await deployDir({ COMPOSE_PROJECT_NAME: 'mcp-stack' });
    const result = await check(dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /COMPOSE_PROJECT_NAME=mcp-stack is the dev stack's project name/);
  });

  test('a port something else listens on', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const dir = await deployDir({ HTTPS_PORT: String(port) });
      const result = await check(dir);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(`port ${port} is already in use on this host .*set HTTPS_PORT to a free port`),
      );
    } finally {
      server.close();
    }
  });
});

describe('compose.prod.yaml production defaults', () => {
  async function render(env: Record<string, string>) {
    const result = await runOk(
      'docker',
      ['compose', '-f', 'compose.prod.yaml', '--env-file', '.env.example', 'config', '--format', 'json'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          DOMAIN: 'mcp.example.com',
          IMAGE_TAG: '1',
          ...env,
        },
      },
    );
    return JSON.parse(result.stdout) as {
      name: string;
      services: Record<string, { environment?: Record<string, string | null> }>;
    };
  }

  test("a production .env made from .env.example is not the dev stack's project", async () => {
    assert.equal((await render({ TLS_MODE: 'file' })).name, 'mcp-stack-prod');
  });

  test("acme-storage exists with TLS_MODE=acme only, and hands the ACME volume to Traefik's uid", async () => {
    assert.ok('acme-storage' in (await render({ TLS_MODE: 'acme', ACME_EMAIL: 'ops@example.com' })).services);
    assert.ok(!('acme-storage' in (await render({ TLS_MODE: 'file' })).services));
    // It really runs (CHOWN is its one capability) and leaves the volume to uid 65532.
    const project = `mcp-deploy-check-acme-${randomBytes(3).toString('hex')}`;
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DOMAIN: 'mcp.example.com',
      IMAGE_TAG: '1',
      TLS_MODE: 'acme',
      ACME_EMAIL: 'ops@example.com',
      // The Traefik image this machine has (CI exports its offline build's name), as every stack test runs.
      TRAEFIK_IMAGE: imageFor('TRAEFIK_IMAGE'),
    };
    const compose = (args: string[]) =>
      run('docker', ['compose', '-p', project, '-f', 'compose.prod.yaml', '--env-file', '.env.example', ...args], {
        env,
      });
    try {
      const up = await compose(['up', '--no-deps', 'acme-storage']);
      assert.equal(up.code, 0, up.stderr);
      const statuses = await composeContainers(project, { all: true, format: '{{.Status}}' });
      assert.match(statuses.join('\n'), /Exited \(0\)/);
      const owner = await runOk('docker', [
        'run',
        '--rm',
        '--entrypoint',
        'stat',
        '-v',
        `${project}_letsencrypt:/v`,
        imageFor('NODE_IMAGE'),
        '-c',
        '%u',
        '/v',
      ]);
      assert.equal(owner.stdout.trim(), '65532');
    } finally {
      await compose(['down', '--volumes']);
    }
  });

  test('the HTTP redirect targets HTTPS_PORT, and the public URL is not pinned to port 443', async () => {
    const config = await render({ TLS_MODE: 'file', HTTPS_PORT: '18443' });
    assert.equal(
      config.services.traefik?.environment?.TRAEFIK_ENTRYPOINTS_WEB_HTTP_REDIRECTIONS_ENTRYPOINT_TO,
      ':18443',
    );
    const publicUrl = config.services.mcp?.environment?.MCP_PUBLIC_URL;
    assert.ok(!publicUrl, `MCP_PUBLIC_URL=${publicUrl}`);
  });
});
