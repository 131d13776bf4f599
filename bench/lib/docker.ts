// A few Docker Engine API calls over the local socket: quicker and more precise to time than the CLI.
import { request } from 'node:http';

export const DOCKER_SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';

export function dockerApi<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: DOCKER_SOCKET,
        method,
        path,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown = text;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON (e.g. the text of /_ping)
          }
          resolve({ status: res.statusCode ?? 0, json: json as T });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Why Docker cannot be used, or undefined when the engine answers. */
export async function dockerUnavailable(): Promise<string | undefined> {
  try {
    const ping = await dockerApi('GET', '/_ping');
    return ping.status === 200 ? undefined : `the Docker engine answered /_ping with HTTP ${ping.status}`;
  } catch (error) {
    return `no Docker engine at ${DOCKER_SOCKET} (${(error as Error).message}); start one: bash scripts/ci/docker.sh`;
  }
}

export async function imageSize(name: string): Promise<number | undefined> {
  const r = await dockerApi<{ Size?: number }>('GET', `/images/${encodeURIComponent(name)}/json`);
  return r.status === 200 ? r.json.Size : undefined;
}
