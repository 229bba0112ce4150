import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/db/migrate.js';

const dir = mkdtempSync(path.join(tmpdir(), 'graphplane-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the server process', () => {
  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const port = 4900 + Math.floor(Math.random() * 90);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot(), 'src/main.ts')], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', PGLITE_DIR: dir, LOG_LEVEL: 'info', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
      child.stdout!.on('data', () => output.includes('Graphplane is running') && (clearTimeout(timer), resolve()));
    });
    expect(output).toContain('alice@graphplane.dev');

    // Each signUp hashes a password (tens of milliseconds on libuv's 4 threads): four dozen at once
    // take the better part of a second, so they are still running when the signal arrives, and the
    // server has read them by then even on a busy machine (with a dozen and 100 ms, a loaded CI
    // machine sometimes signalled before accepting every connection: ECONNRESET). Sign-ups of
    // distinct addresses, since concurrent logins of one email are throttled before their check.
    const signUp = (_: unknown, i: number) =>
      fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation { signUp(input: { email: "drain-${i}@shutdown.test", password: "drain-password-1" }) { token } }`,
        }),
      });
    const inFlight = Array.from({ length: 48 }, signUp);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    for (const response of await Promise.all(inFlight)) {
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: { signUp: { token: string } } };
      expect(body.data.signUp.token).toMatch(/^gps_/);
    }
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  }, 90_000);
});
