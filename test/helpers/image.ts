import { imageFor } from '@mcp-stack/test-support/pins';
import { GenericContainer } from 'testcontainers';
import { repoRoot } from './paths.ts';

/** The tag our builds get; stable, so Docker's layer cache makes the second build (another test file) seconds. */
export const builtServiceImage = 'mcp-stack-test/mcp:integration';

/**
 * The service image under test, built from the real `services/mcp/Dockerfile` (target `runtime`, what ships).
 * CI that already built the image with Buildx (same Dockerfile, cached layers) names it in MCP_TEST_IMAGE so the
 * tests run exactly what it publishes.
 */
export async function serviceImage(): Promise<string> {
  const prebuilt = process.env.MCP_TEST_IMAGE;
  if (prebuilt) return prebuilt;
  // On the Node base the stacks use (NODE_IMAGE: our offline build in CI), not whatever the Dockerfile's
  // default tag happens to name on this engine.
  await GenericContainer.fromDockerfile(repoRoot, 'services/mcp/Dockerfile')
    .withBuildArgs({ NODE_IMAGE: imageFor('NODE_IMAGE') })
    .withTarget('runtime')
    .build(builtServiceImage, { deleteOnExit: false });
  return builtServiceImage;
}

/** `repository` and `tag` of an image reference, for compose files that take them apart (MCP_IMAGE, IMAGE_TAG). */
export function splitImageRef(ref: string): { repository: string; tag: string } {
  const at = ref.lastIndexOf(':');
  if (at <= ref.lastIndexOf('/')) return { repository: ref, tag: 'latest' };
  return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
}
