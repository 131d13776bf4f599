/**
 * How the service image is built where a test or the bench builds it with the docker CLI: the real Dockerfile's
 * `runtime` target (what ships), on the Node base the stacks run.
 */
import { imageFor } from './pins.ts';

/**
 * `docker build` arguments for the service image tagged `tag`, to run from the repository root. `nodeImage`: the
 * base, by default NODE_IMAGE (CI exports its offline build's name) or its pin.
 */
export function serviceImageBuildArgs(tag: string, nodeImage = imageFor('NODE_IMAGE')): string[] {
  return [
    'build',
    '-q',
    '-f',
    'services/mcp/Dockerfile',
    '--target',
    'runtime',
    '--build-arg',
    `NODE_IMAGE=${nodeImage}`,
    '-t',
    tag,
    '.',
  ];
}
