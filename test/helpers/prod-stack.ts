// compose.prod.yaml alone, as the prod-stack tests run it: a local certificate (TLS_MODE=file), the two secret files
// readable by the service's uid 1000, the service image built from the real Dockerfile, and test/env/prod.env. Each
// test adds only what it varies (the LLM provider and its endpoint); and the checks both tests make of it.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComposeStack } from './compose.ts';
import { docker, execIn, inspectContainer, requireDockerEngine, runOk, uniqueName } from './docker.ts';
import { serviceImage, splitImageRef } from './image.ts';
import { repoRoot, testEnvDir } from './paths.ts';
import { waitForRoute } from './stack-checks.ts';
import { createLocalTlsClient, type LocalTlsClient } from './tls.ts';

export interface ProdStack<Llm> {
  stack: ComposeStack;
  tls: LocalTlsClient;
  /** The LLM endpoint's container, on the stack's internal backend network as a managed API would live behind it. */
  llm: Llm;
  /** `https://mcp.localhost:<port>`: Traefik's TLS entry point. */
  mcpUrl: string;
  /** Traefik's plain-HTTP port (it redirects to HTTPS). */
  httpPort: number;
  /** The LLM container first (compose cannot remove a network that still has endpoints), then the stack. */
  stop(): Promise<void>;
}

/**
 * Starts the prod stack and its LLM endpoint (`startLlm`, named `name` on `network`; `env` gives the stack the
 * variables that select it) and waits until Traefik routes to the service. What started is removed again when a
 * step fails.
 */
export async function startProdStack<Llm extends { remove(): Promise<void> }>(options: {
  prefix: string;
  token: string;
  apiKey: string;
  env: (llmName: string) => Record<string, string>;
  startLlm: (at: { name: string; network: string }) => Promise<Llm>;
}): Promise<ProdStack<Llm>> {
  await requireDockerEngine();
  const project = uniqueName(options.prefix);
  const llmName = `${project}-llm`;
  const certDir = await mkdtemp(join(tmpdir(), `${project}-certs-`));
  await runOk('bash', ['scripts/certs.sh', certDir], {
    cwd: repoRoot,
    env: { ...process.env, CERTS_TOOL: 'openssl' },
  });
  const tls = createLocalTlsClient(await readFile(join(certDir, 'ca.crt')));

  // Compose secrets come from files; the service runs as uid 1000, so they must be readable by it. Only the one
  // provider key file exists, whichever provider the test picks.
  const secretsDir = await mkdtemp(join(tmpdir(), `${project}-secrets-`));
  for (const [name, value] of [
    ['llm_api_key', options.apiKey],
    ['mcp_auth_token', options.token],
  ] as const) {
    await writeFile(join(secretsDir, name), `${value}\n`);
    await chmod(join(secretsDir, name), 0o644);
  }

  const image = splitImageRef(await serviceImage());
  const stack = new ComposeStack({
    project,
    files: ['compose.prod.yaml'],
    envFile: join(testEnvDir, 'prod.env'),
    env: {
      MCP_IMAGE: image.repository,
      IMAGE_TAG: image.tag,
      TLS_CERT_DIR: certDir,
      SECRETS_DIR: secretsDir,
      ...options.env(llmName),
    },
  });
  let llm: Llm | undefined;
  const stop = async () => {
    await llm?.remove();
    await stack.down();
    await tls.close();
  };
  try {
    await stack.up();
    llm = await options.startLlm({ name: llmName, network: `${project}_backend` });
    const traefik = stack.container('traefik');
    const mcpUrl = `https://mcp.localhost:${traefik.getMappedPort(8443)}`;
    await waitForRoute(tls.fetch, `${mcpUrl}/healthz`);
    return { stack, tls, llm, mcpUrl, httpPort: traefik.getMappedPort(8000), stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

const llmKeyFile = '/run/secrets/llm_api_key';

/**
 * The keys reach every mcp container as secret files only: the `*_FILE` variables point at the mounted files, the
 * plain variables are unset, nothing Docker knows about the container (env, labels, command) holds either value,
 * and the service's own uid can read the key file. `keyVariable` is the selected provider's key variable
 * (OPENAI_API_KEY, ANTHROPIC_API_KEY). Returns each container's environment for a test's own checks.
 */
export async function assertSecretsAsFiles(
  stack: ComposeStack,
  secrets: { keyVariable: string; apiKey: string; token: string },
): Promise<Record<string, string>[]> {
  const ids = await stack.containerIds('mcp');
  assert.ok(ids.length >= 1, 'an mcp container runs');
  const environments: Record<string, string>[] = [];
  for (const id of ids) {
    const state = await inspectContainer(id);
    const env = Object.fromEntries(
      state.Config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
    );
    assert.equal(env[`${secrets.keyVariable}_FILE`], llmKeyFile);
    assert.equal(env.MCP_AUTH_TOKEN_FILE, '/run/secrets/mcp_auth_token');
    assert.ok(!env[secrets.keyVariable], `${secrets.keyVariable} must not be set`);
    assert.ok(!env.MCP_AUTH_TOKEN, 'MCP_AUTH_TOKEN must not be set');
    const mounts = state.Mounts.map((m) => m.Destination);
    assert.ok(mounts.includes(llmKeyFile), mounts.join(', '));
    const { stdout } = await docker(['inspect', id]);
    assert.ok(!stdout.includes(secrets.apiKey), 'the API key appears in docker inspect');
    assert.ok(!stdout.includes(secrets.token), 'the token appears in docker inspect');
    // The process runs as uid 1000: the file must be readable for it.
    const read = await execIn(id, [
      'node',
      '-e',
      `process.stdout.write(require('fs').readFileSync('${llmKeyFile}','utf8').trim())`,
    ]);
    assert.equal(read.stdout, secrets.apiKey);
    environments.push(env);
  }
  return environments;
}
