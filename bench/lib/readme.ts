// Puts the latest table into README.md between the bench markers, touching nothing else in the file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from './paths.ts';

export const START = '<!-- bench:latest:start (written by make bench) -->';
export const END = '<!-- bench:latest:end -->';

/** Returns false when README.md has no bench markers (nothing is written then). */
export function updateReadme(table: string): boolean {
    const path = join(REPO_DIR, 'README.md');
    const text = readFileSync(path, 'utf8');
    const from = text.indexOf(START);
    const to = text.indexOf(END);
    if (from === -1 || to === -1 || to < from) return false;
    writeFileSync(path, `${text.slice(0, from + START.length)}\n${table.trim()}\n${text.slice(to)}`);
    return true;
}
