import { resolve } from 'node:path';

/** The repository root: every compose file, Dockerfile and script is addressed from here. */
export const repoRoot = resolve(import.meta.dirname, '..', '..');

/** Test env files for the stacks (only what CI cannot have differs from the shipped defaults). */
export const testEnvDir = resolve(repoRoot, 'test', 'env');

/** Where failing runs leave logs for a person to read (ignored by git). */
export const artifactsDir = resolve(repoRoot, 'test', 'artifacts');
