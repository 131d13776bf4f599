// Where the bench reads from and writes to, relative to the repository.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const RAW_DIR = join(RESULTS_DIR, 'raw');
export const SERVICE_DIR = join(REPO_DIR, 'services', 'mcp');

mkdirSync(RAW_DIR, { recursive: true });
