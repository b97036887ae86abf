import net from 'node:net';
import { freePort } from '../../infra/ports.js';

/**
 * A TCP port that is closed until `open()`, then forwards every connection to `target`
 * (`host:port`); `close()` refuses again and cuts open connections. It lets a test take a real
 * server (Temporal) away from one client and give it back. Hand-written: piping two sockets is
 * all it takes, and no proxy library is installed.
 */
export interface TcpProxy {
  /** `127.0.0.1:<port>`, fixed for the proxy's life. */
  address: string;
  open(): Promise<void>;
  close(): Promise<void>;
}

export async function tcpProxy(target: string): Promise<TcpProxy> {
  const [targetHost, targetPort] = splitAddress(target);
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  return {
    address: `127.0.0.1:${port}`,
    async open() {
      if (server) return;
      const s = net.createServer((client) => {
        const upstream = net.connect({ host: targetHost, port: targetPort });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async close() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at) || '127.0.0.1', Number(address.slice(at + 1))];
}
