import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../infra/ports.js';
import { singleAttemptClient } from '../../infra/temporal-single-attempt.js';
import { uncaughtDuring } from '../support/uncaught.js';

describe('singleAttemptClient (real Temporal client, a port nothing listens on)', () => {
  it('given Temporal unreachable, then a start fails after one attempt and closing right after leaves nothing retrying', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const shared = new Client({ connection, namespace: 'default' });
    const single = singleAttemptClient(shared);
    expect(single.client).not.toBe(shared);
    expect(single.client.options.namespace).toBe('default');
    const uncaught = await uncaughtDuring(async () => {
      // The SDK's default channel would retry this for some 20 s (10 attempts, up to 5 s apart).
      const outcome = await Promise.race([
        single.client.workflow.start('smsTask', { taskQueue: 'nowhere', workflowId: 'sms-single-attempt' }).then(
          () => 'started',
          () => 'failed',
        ),
        sleep(8_000).then(() => 'still retrying'),
      ]);
      expect(outcome).toBe('failed');

      await single.close();
      await connection.close();
      // Past the first retry delays a left-over retry would wait (0.2-1.8 s).
      await sleep(2_500);
    });
    expect(uncaught).toEqual([]);
  });
});
