import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
});
