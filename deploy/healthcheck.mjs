// The image's HEALTHCHECK, for every role (plain JavaScript: the slim image has no curl).
// - api: GET /health on this container (liveness: the event loop answers HTTP).
// - worker, projector: they serve no HTTP, so a cheap proxy. The container lives only as long as
//   the role's Node process (tini exits with it, compose restarts it); the check adds that the
//   dependency the role cannot work without accepts TCP (Temporal for the worker, PostgreSQL for
//   the projector). A hung event loop passes this check; the worker's
//   stuck work shows in Temporal (task timeouts move it to the other worker), the projector's in
//   /ready's projection lag and the standby takes the lock if the process dies.
// - migrate: a one-shot, no check.
import { readFileSync } from 'node:fs';
import net from 'node:net';

const role = readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean).at(-1);

const fail = (why) => {
  process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(1);
};

function tcp(address, what) {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  const socket = net.connect({ host: url.hostname, port: Number(url.port || 5432), timeout: 2000 });
  socket.once('connect', () => {
    socket.destroy();
    process.exit(0);
  });
  socket.once('timeout', () => fail(`${what} did not answer in 2 s`));
  socket.once('error', (error) => fail(`${what}: ${error.code ?? error.message}`));
}

if (role === 'api') {
  const response = await fetch(`http://127.0.0.1:${process.env.PORT ?? 3000}/health`, {
    signal: AbortSignal.timeout(2000),
  }).catch((error) => fail(error.message));
  if (!response.ok) fail(`/health answered ${response.status}`);
} else if (role === 'worker') {
  tcp(process.env.TEMPORAL_ADDRESS ?? fail('TEMPORAL_ADDRESS is unset'), 'Temporal');
} else if (role === 'projector') {
  tcp(process.env.DATABASE_URL ?? fail('DATABASE_URL is unset'), 'PostgreSQL');
}
