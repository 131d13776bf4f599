/**
 * The image pins of images/compose.pins.yaml, read the way scripts/images/pins.sh reads them, so the tests run
 * what the compose stacks run: the variable when set (CI exports our offline builds' names), else the pinned
 * upstream release.
 */
import { readFileSync } from 'node:fs';

export type PinnedImageVar = 'NODE_IMAGE' | 'TRAEFIK_IMAGE' | 'SOCKET_PROXY_IMAGE' | 'OLLAMA_IMAGE';

const pinsFile = new URL('../images/compose.pins.yaml', import.meta.url);

/** The upstream image a variable defaults to (`image: ${VAR:-default}`). */
export function pinnedImage(variable: PinnedImageVar): string {
  const text = readFileSync(pinsFile, 'utf8');
  const match = new RegExp(`^ *image: \\$\\{${variable}:-(.+)\\}$`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`no image pinned for ${variable} in ${pinsFile.pathname}`);
  return match[1];
}

/** The image a test should run for a variable: its value from the environment when set, else the pin. */
export function imageFor(variable: PinnedImageVar, env: NodeJS.ProcessEnv = process.env): string {
  return env[variable] || pinnedImage(variable);
}
