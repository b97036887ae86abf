import net from 'node:net';
import { freePort } from '../../infra/ports.js';

/**
 * A TCP port that is closed until `open()`, then forwards every connection to `target`
 * (`host:port`); `close()` refuses again and cuts open connections; `stall()` black-holes it (no
 * byte passes, nothing is refused, as when a network drops packets) until `unstall()`. It lets a test take a real
 * server (Temporal) away from one client and give it back. Hand-written: piping two sockets is
 * all it takes, and no proxy library is installed.
 */
export interface TcpProxy {
  /** `127.0.0.1:<port>`, fixed for the proxy's life. */
  address: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Passes no more bytes on open or new connections, without refusing or closing them. */
  stall(): void;
  /** Cuts the stalled connections (what they carried is lost) and forwards new ones again. */
  unstall(): void;
}

export async function tcpProxy(target: string): Promise<TcpProxy> {
  const [targetHost, targetPort] = splitAddress(target);
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let stalled = false;
  const stall = (socket: net.Socket) => {
    socket.unpipe();
    socket.pause();
  };
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
        if (stalled) stall(client);
        else client.pipe(upstream).pipe(client);
      });
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
    },
    stall() {
      stalled = true;
      for (const socket of sockets) stall(socket);
    },
    unstall() {
      stalled = false;
      for (const socket of sockets) socket.destroy();
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
