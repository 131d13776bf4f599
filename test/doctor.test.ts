/**
 * `make doctor` (scripts/doctor.sh, run first by `make dev`): passes on a machine that has what the dev stack needs,
 * and each missing piece fails with a line that says what to do. The engine, the ports and the PATH are real; only
 * "Compose too old" needs a stand-in: a `docker` wrapper that reports an old Compose version and passes every other
 * call to the real CLI.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireDockerEngine, run } from './helpers/docker.ts';
import { repoRoot } from './helpers/paths.ts';

const doctor = (env: NodeJS.ProcessEnv) =>
  run('bash', ['scripts/doctor.sh'], { cwd: repoRoot, env: { ...process.env, ...env } });

/** A directory of links to every program on PATH except the ones named: a machine without them. */
async function pathWithout(omit: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'doctor-path-'));
  for (const bin of (process.env.PATH ?? '').split(':').filter(Boolean).reverse()) {
    const names = await readdir(bin).catch(() => [] as string[]);
    for (const name of names) {
      if (omit.includes(name)) continue;
      await rm(join(dir, name), { force: true });
      await symlink(join(bin, name), join(dir, name));
    }
  }
  return dir;
}

describe('make doctor', () => {
  let busy: Server;
  let busyPort = 0;
  const temp: string[] = [];

  before(async () => {
    await requireDockerEngine();
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });

  after(async () => {
    busy?.close();
    await Promise.all(temp.map((d) => rm(d, { recursive: true, force: true })));
  });

  test('passes with a working engine, Compose >= 2.22 and free ports', async () => {
    const result = await doctor({ HTTP_PORT: '', HTTPS_PORT: '' });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /ok +docker: engine/);
    assert.match(result.stdout, /ok +compose: 2\.\d+/);
    assert.match(result.stdout, /doctor: ready for make dev/);
  });

  test('a port taken by another program fails and names the variable to set', async () => {
    const result = await doctor({ HTTP_PORT: '', HTTPS_PORT: String(busyPort) });
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stdout,
      new RegExp(`FAIL +HTTPS_PORT: 127\\.0\\.0\\.1:${busyPort} is taken .* HTTPS_PORT=8443 make dev`),
    );
  });

  test('no docker on PATH fails with where to get it', async () => {
    const dir = await pathWithout(['docker']);
    temp.push(dir);
    const result = await doctor({ PATH: dir, HTTP_PORT: '', HTTPS_PORT: '' });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /FAIL +docker: not installed\. Install Docker Desktop .* Docker Engine/);
  });

  test('Compose older than 2.22 fails and says to update it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'doctor-old-compose-'));
    temp.push(dir);
    const real = (await run('bash', ['-c', 'command -v docker'])).stdout.trim();
    // Stand-in: reports Compose 2.20.3, forwards everything else to the real CLI.
    await writeFile(
      join(dir, 'docker'),
      `#!/bin/sh\nif [ "$1 $2" = "compose version" ]; then echo 2.20.3; exit 0; fi\nexec ${real} "$@"\n`,
    );
    await chmod(join(dir, 'docker'), 0o755);
    const result = await doctor({ PATH: `${dir}:${process.env.PATH}`, HTTP_PORT: '', HTTPS_PORT: '' });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /FAIL +compose: 2\.20\.3 is older than 2\.22\.0 .* Update the compose plugin/);
  });

  test('too little disk fails and says how to free some', async () => {
    const result = await doctor({ HTTP_PORT: '', HTTPS_PORT: '', DOCTOR_MIN_DISK_GB: '100000' });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /FAIL +disk: .* less than 100000 GB\. Free some: docker system df/);
  });
});
