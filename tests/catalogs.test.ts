import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { okResult } from './support/api.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('catalogs', () => {
  it('lists cluster versions (numerically ordered, deprecated ones unavailable) and node types, without a token', async () => {
    const data = okResult(await server.gql(`{ clusterVersions { version available isDefault } nodeTypes { name cpus memoryGb } }`));
    expect(data.clusterVersions).toEqual([
      { version: '1.29', available: false, isDefault: false },
      { version: '1.30', available: true, isDefault: false },
      { version: '1.31', available: true, isDefault: true },
    ]);
    expect(data.nodeTypes.map((t: { name: string }) => t.name)).toEqual([
      'standard-2',
      'standard-4',
      'standard-8',
      'memory-4',
      'compute-8',
    ]);
    expect(data.nodeTypes[0]).toEqual({ name: 'standard-2', cpus: 2, memoryGb: 8 });
  });

  it('lists platforms, plans (smallest first) and pools', async () => {
    const data = okResult(await server.gql(`{ platforms { name } plans { name memoryMb isDefault } pools { name isDefault } }`));
    expect(data.platforms.map((p: { name: string }) => p.name)).toEqual(['go', 'java', 'node', 'python', 'ruby', 'static']);
    expect(data.plans).toEqual([
      { name: 'small', memoryMb: 256, isDefault: true },
      { name: 'medium', memoryMb: 1024, isDefault: false },
      { name: 'large', memoryMb: 4096, isDefault: false },
    ]);
    expect(data.pools).toEqual([
      { name: 'dedicated', isDefault: false },
      { name: 'default', isDefault: true },
    ]);
  });
});
