// compose.prod.yaml alone, as the prod-stack tests run it: a local certificate (TLS_MODE=file), the two secret files
// readable by the service's uid 1000, the service image built from the real Dockerfile, and test/env/prod.env. Each
// test adds only what it varies (the LLM provider and its endpoint).
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComposeStack } from './compose.ts';
import { runOk } from './docker.ts';
import { serviceImage, splitImageRef } from './image.ts';
import { repoRoot, testEnvDir } from './paths.ts';
import { createLocalTlsClient, type LocalTlsClient } from './tls.ts';

export async function prodStack(options: {
  project: string;
  token: string;
  apiKey: string;
  env: Record<string, string>;
}): Promise<{ stack: ComposeStack; tls: LocalTlsClient }> {
  const { project } = options;
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
      ...options.env,
    },
  });
  return { stack, tls };
}
