// What the run happened on: cores, CPU, kernel, load, and the versions of everything measured.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BENCH_DIR, SERVICE_DIR } from './paths.ts';
import { LOAD_CORE, run, SERVER_CORE } from './proc.ts';

export interface MachineInfo {
    cores: number;
    cpuModel: string;
    memoryGiB: number;
    kernel: string;
    node: string;
    wrk: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd?: number[];
    serverCore: string;
    loadCore: string;
    packages: Record<string, string>;
    serviceVersion?: string;
}

const PACKAGES = [
    '@modelcontextprotocol/server',
    '@modelcontextprotocol/node',
    '@modelcontextprotocol/express',
    '@modelcontextprotocol/server-legacy',
    '@modelcontextprotocol/sdk',
    '@modelcontextprotocol/client',
    'express',
    'zod'
];

export async function machineInfo(): Promise<MachineInfo> {
    const require = createRequire(join(BENCH_DIR, 'package.json'));
    const packages: Record<string, string> = {};
    for (const name of PACKAGES) {
        try {
            const manifest = require.resolve(`${name}/package.json`);
            packages[name] = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
        } catch {
            // Some SDK packages do not export package.json; find it next to the resolved entry instead.
            try {
                let dir = require.resolve(name);
                while (!dir.endsWith(name.split('/').pop()!)) dir = join(dir, '..');
                packages[name] = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
            } catch {
                packages[name] = 'not installed';
            }
        }
    }
    const wrk = await run('wrk', ['--version'], { pin: false }).catch(() => ({ stdout: 'wrk not installed', stderr: '' }));
    let serviceVersion: string | undefined;
    try {
        serviceVersion = (JSON.parse(readFileSync(join(SERVICE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
        serviceVersion = undefined;
    }
    return {
        cores: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        kernel: release(),
        node: process.version,
        wrk: (wrk.stdout + wrk.stderr).split('\n')[0]!.replace(/ Copyright.*/, '').trim(),
        loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
        serverCore: SERVER_CORE,
        loadCore: LOAD_CORE,
        packages,
        serviceVersion
    };
}
