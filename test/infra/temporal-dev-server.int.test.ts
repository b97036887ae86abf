import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../infra/processes.js';
import { startTemporalDevServer } from '../../infra/temporal-dev-server.js';

describe('the Temporal dev server launcher', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-launcher-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("when the server cannot start (its port taken), the error carries the log's last lines, not only its path", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const logFile = path.join(dir, 'temporal.log');
      const started = startTemporalDevServer({ port, headless: true, logFile });
      await expect(started).rejects.toThrow(/exited with code \d+; see .*temporal\.log:\n.+/s);
    } finally {
      taken.close();
    }
  }, 60_000);

  it('when another Temporal server already answers on the port, the start fails instead of passing that server off as ours', async () => {
    const other = await startTemporalDevServer({ headless: true, logFile: path.join(dir, 'other.log') });
    try {
      const port = Number(other.address.split(':')[1]);
      const started = startTemporalDevServer({ port, headless: true, logFile: path.join(dir, 'second.log') });
      await expect(started).rejects.toThrow(/exited with code \d+/);
    } finally {
      await other.stop();
    }
  }, 90_000);

  it('keeps its state in a SQLite file in WAL mode: a scratch one, removed at stop, unless a file is given, which stays', async () => {
    const scratch = await startTemporalDevServer({ headless: true, logFile: path.join(dir, 'scratch.log') });
    const given = path.join(dir, 'given', 'temporal.db');
    const kept = await startTemporalDevServer({ headless: true, logFile: path.join(dir, 'kept.log'), dbFile: given });
    let scratchFile: string | undefined;
    try {
      scratchFile = scratch.dbFile;
      expect(scratchFile).toMatch(/sms-agent-temporal-.*temporal\.db$/);
      expect(kept.dbFile).toBe(given);
      // The write-ahead log exists only in WAL mode.
      for (const file of [scratchFile, given]) expect(existsSync(`${file}-wal`)).toBe(true);
    } finally {
      await scratch.stop();
      await kept.stop();
    }
    expect(existsSync(path.dirname(scratchFile as string))).toBe(false);
    expect(existsSync(given)).toBe(true);
  }, 90_000);

  it('stops a server an earlier run left on the same store (killed before it could stop it), and nothing else a stale pid file names', async () => {
    const dbFile = path.join(dir, 'left', 'temporal.db');
    let leftPid = 0;
    // As a killed `npm run dev` leaves it: the server running, its pid file there, nobody to stop it.
    const left = await startTemporalDevServer({
      headless: true,
      logFile: path.join(dir, 'left.log'),
      dbFile,
      onSpawn: (pid) => {
        leftPid = pid;
      },
    });
    expect(readFileSync(`${dbFile}.pid`, 'utf8')).toBe(String(leftPid));
    const leftPort = Number(left.address.split(':')[1]);
    // The next start on that store, asking for the port the leftover holds.
    const next = await startTemporalDevServer({
      headless: true,
      logFile: path.join(dir, 'next.log'),
      dbFile,
      port: leftPort,
    });
    try {
      expect(isAlive(leftPid)).toBe(false);
      expect(next.address).toBe(left.address);
      expect(readFileSync(`${dbFile}.pid`, 'utf8')).not.toBe(String(leftPid));
    } finally {
      await next.stop();
      await left.stop();
    }
    expect(existsSync(`${dbFile}.pid`)).toBe(false);

    // A pid file whose pid now belongs to another process (here, this test's own): left running.
    writeFileSync(`${dbFile}.pid`, String(process.pid));
    const again = await startTemporalDevServer({ headless: true, logFile: path.join(dir, 'again.log'), dbFile });
    await again.stop();
    expect(isAlive(process.pid)).toBe(true);
    expect(existsSync(`${dbFile}.pid`)).toBe(false);
  }, 120_000);
});
