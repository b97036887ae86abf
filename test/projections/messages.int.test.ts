import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesReadModel } from '../../projections/messages/handler.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { applyAgain, dumpTables, eventLog, project, readModelDatabase } from './support/harness.js';

const PHONE = '+14155550301';
let db: Awaited<ReturnType<typeof readModelDatabase>>;
let queries: ReturnType<typeof createReadModelQueries>;

beforeAll(async () => {
  db = await readModelDatabase();
  queries = createReadModelQueries(db.pool);
});
afterAll(async () => db?.close());

function exchange(log: ReturnType<typeof eventLog>, sid: string, question: string, answer: string) {
  log.sms(sid, 'SmsReceived', {
    messageSid: sid,
    from: PHONE,
    to: '+14155550100',
    body: question,
    numMedia: 0,
    provider: 'simulator',
    receivedAt: log.events.at(-1)?.metadata.occurredAt ?? '2026-01-10T12:00:00.000Z',
  });
  log.sms(sid, 'ReplySent', {
    kind: 'answer',
    to: PHONE,
    body: answer,
    providerMessageSid: `OUT${sid}`,
    provider: 'simulator',
    segments: 1,
    encoding: 'GSM-7',
    hasMore: false,
  });
}

describe('messages read model', () => {
  it('given two exchanges, then the conversation shows both directions in order', async () => {
    const log = eventLog();
    exchange(log, 'SM1', 'hi', 'hello!');
    exchange(log, 'SM2', 'what is 2+2?', '4');
    log.sms('SM2', 'DeliveryStatusUpdated', { providerMessageSid: 'OUTSM2', status: 'delivered' });
    await project(db.pool, messagesReadModel, log.events);

    const thread = await queries.conversation(PHONE);
    expect(thread.items.map((m) => [m.direction, m.body, m.kind])).toEqual([
      ['in', 'hi', 'sms'],
      ['out', 'hello!', 'answer'],
      ['in', 'what is 2+2?', 'sms'],
      ['out', '4', 'answer'],
    ]);
    expect(thread.items[3]).toMatchObject({ taskMessageSid: 'SM2', deliveryStatus: 'delivered', segments: 1 });
    expect(thread.items[3]?.deliveredAt).not.toBeNull();

    const older = await queries.conversation(PHONE, { limit: 3 });
    expect(older.items.map((m) => m.body)).toEqual(['hello!', 'what is 2+2?', '4']);
    const oldest = await queries.conversation(PHONE, { limit: 3, cursor: older.nextCursor ?? undefined });
    expect(oldest.items.map((m) => m.body)).toEqual(['hi']);
    expect((await queries.messagesForTask('SM2')).map((m) => m.direction)).toEqual(['in', 'out']);
  });

  it('given a status callback recorded before its ReplySent, then the message ends up complete', async () => {
    const log = eventLog();
    log.sms('SMX', 'SmsReceived', {
      messageSid: 'SMX',
      from: PHONE,
      to: '+14155550100',
      body: 'race',
      numMedia: 0,
      provider: 'twilio',
      receivedAt: '2026-01-10T11:00:00.000Z',
    });
    log.sms('SMX', 'DeliveryStatusUpdated', { providerMessageSid: 'OUTX', status: 'sent' });
    await project(db.pool, messagesReadModel, log.events);
    const seen = log.events.length;
    log.sms('SMX', 'ReplySent', {
      kind: 'answer',
      to: PHONE,
      body: 'won',
      providerMessageSid: 'OUTX',
      provider: 'twilio',
      segments: 1,
      encoding: 'GSM-7',
      hasMore: false,
    });
    log.sms('SMX', 'DeliveryStatusUpdated', {
      providerMessageSid: 'OUTX',
      status: 'undelivered',
      errorCode: '30003',
    });
    await project(db.pool, messagesReadModel, log.events.slice(seen));

    const messages = await queries.messagesForTask('SMX');
    expect(messages.map((m) => m.id)).toEqual(['SMX', 'OUTX']);
    expect(messages[1]).toMatchObject({
      id: 'OUTX',
      phone: PHONE,
      direction: 'out',
      body: 'won',
      deliveryStatus: 'undelivered',
      deliveryErrorCode: '30003',
      deliveredAt: null,
    });
  });

  it('given a broadcast, then each recipient it went to has the message in their thread', async () => {
    const log = eventLog();
    const sent = (seq: number, to: string, sid: string) =>
      log.append(`broadcast-b1-${seq}`, 'BroadcastRecipientSent', {
        broadcastId: 'b1',
        seq,
        to,
        body: 'We are back',
        providerMessageSid: sid,
        provider: 'twilio',
        segments: 1,
        encoding: 'GSM-7',
      });
    sent(0, PHONE, 'BC1');
    sent(1, '+14155550399', 'BC2');
    await project(db.pool, messagesReadModel, log.events);

    expect((await queries.conversation('+14155550399')).items).toMatchObject([
      { id: 'BC2', direction: 'out', kind: 'broadcast', body: 'We are back', broadcastId: 'b1', encoding: 'GSM-7' },
    ]);
  });

  it('given a batch delivered twice, then nothing changes', async () => {
    const log = eventLog('2026-01-12T00:00:00.000Z');
    exchange(log, 'SM9', 'again', 'and again');
    log.append('broadcast-b2-0', 'BroadcastRecipientSent', {
      broadcastId: 'b2',
      seq: 0,
      to: PHONE,
      body: 'Hi all',
      providerMessageSid: 'BC9',
      provider: 'twilio',
      segments: 1,
      encoding: 'GSM-7',
    });
    log.sms('SM9', 'DeliveryStatusUpdated', { providerMessageSid: 'OUTSM9', status: 'sent' });
    log.sms('SM9', 'DeliveryStatusUpdated', { providerMessageSid: 'OUTSM9', status: 'delivered' });
    await project(db.pool, messagesReadModel, log.events);
    const before = await dumpTables(db.pool, messagesReadModel.tables);

    await applyAgain(db.pool, messagesReadModel, log.events);

    expect(await dumpTables(db.pool, messagesReadModel.tables)).toEqual(before);
  });
});
