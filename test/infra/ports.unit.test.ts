import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ephemeralPorts, freePort } from '../../infra/ports.js';

const listen = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('freePort', () => {
  it("gives ports a server can listen on, outside the range outgoing connections' own ports come from", async () => {
    const { min, max } = ephemeralPorts();
    expect(min).toBeGreaterThan(1024);
    expect(max).toBeGreaterThanOrEqual(min);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      if (min - 1 - 10_000 >= 1_000) expect(port).toBeLessThan(min);
      const server = await listen(port);
      await new Promise((r) => server.close(r));
    }
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("never gives 10080, a port fetch() refuses (the Fetch standard's bad ports)", async () => {
    // fetch refuses it before connecting, whatever listens there
    await expect(fetch('http://127.0.0.1:10080/')).rejects.toMatchObject({ cause: { message: 'bad port' } });
    // Given the random pick landing on 10080 first
    const span = ephemeralPorts().min - 10_000;
    let calls = 0;
    vi.spyOn(Math, 'random').mockImplementation(() => (calls++ === 0 ? 80.5 / span : 0.5));
    // Then another port comes back
    const port = await freePort();
    expect(calls).toBeGreaterThan(1);
    expect(port).not.toBe(10_080);
  });

  it('never gives a port something listens on', async () => {
    // Hold many ports of the range, then ask often: none of the held ones comes back.
    const held = new Set<number>();
    const servers: net.Server[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const port = await freePort();
        servers.push(await listen(port));
        held.add(port);
      }
      for (let i = 0; i < 200; i++) expect(held.has(await freePort())).toBe(false);
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  });
});
