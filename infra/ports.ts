import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Where ports are picked: above the well-known services, below the kernel's ephemeral range. */
const LOWEST = 10_000;

/**
 * The Fetch standard's "bad ports" from LOWEST up: fetch() (Node's and every browser's) refuses
 * them, so a server there cannot be reached by the health checks and tests that use it (the bench
 * once drew 10080 for the API and waited a minute for a health answer that could not come).
 */
const FETCH_BAD_PORTS = new Set([10_080]);

/**
 * The range the kernel takes the local ports of outgoing connections from (Linux; elsewhere the
 * IANA dynamic range, which the others use).
 */
export function ephemeralPorts(): { min: number; max: number } {
  try {
    const [min, max] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(min) && Number.isInteger(max)) return { min: min as number, max: max as number };
  } catch {}
  return { min: 49_152, max: 65_535 };
}

/** Listens on `port` for a moment: whether it is free now (the port itself when `port` is 0). */
function tryListen(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port free on loopback now, for a server started next. Picked at random below the kernel's
 * ephemeral range rather than by asking the kernel for port 0: the kernel hands out port 0 from
 * that range, the same one it takes outgoing connections' own ports from, so between this check
 * and the server's listen any connect() on the machine could take it (EADDRINUSE; seen in CI,
 * where many tests connect at once). Hand-written: get-port and the like ask the kernel for port 0.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const max = ephemeralPorts().min - 1;
  if (max - LOWEST >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (max - LOWEST + 1));
      if (FETCH_BAD_PORTS.has(port)) continue;
      if ((await tryListen(port, host)) !== undefined) return port;
    }
  }
  const port = await tryListen(0, host); // a machine whose ephemeral range starts low
  if (port === undefined) throw new Error(`no free TCP port on ${host}`);
  return port;
}

export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isPortOpen(port, host)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Nothing listened on ${host}:${port} within ${timeoutMs} ms`);
}
