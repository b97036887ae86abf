import { describe, expect, it } from 'vitest';
import { audienceChunks, parsePhoneList, phoneAt } from '../../../domain/broadcast/audience.js';
import { estimateBroadcast, secondsAt } from '../../../domain/broadcast/estimate.js';
import { lifecycleFrom, recipientStateFrom } from '../../../domain/broadcast/recipient.js';
import type { DomainEvent } from '../../../domain/events/catalogue.js';

const meta = { correlationId: 'broadcast-b1', occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 };
const ref = { broadcastId: 'b1', seq: 0, to: '+12125550100' };

describe('a broadcast audience', () => {
  it('normalises numbers like senders, keeps the first of repeats in order, and lists what is not a number', () => {
    expect(parsePhoneList(['(212) 555-0100', '+1 212 555 0101', '+12125550100', 'call me', '12'])).toEqual({
      phones: ['+12125550100', '+12125550101'],
      invalid: ['call me', '12'],
    });
  });

  it('is cut into events of 1,000 numbers, each recipient found again by its place', () => {
    const phones = Array.from({ length: 2_345 }, (_, i) => `+1212${5_000_000 + i}`);
    const chunks = audienceChunks(phones);
    expect(chunks.map((c) => [c.from, c.phones.length])).toEqual([
      [0, 1000],
      [1000, 1000],
      [2000, 345],
    ]);
    expect(phoneAt([...chunks].reverse(), 1500)).toBe(phones[1500]);
    expect(phoneAt(chunks, 2345)).toBeUndefined();
  });
});

describe('the figures of a broadcast', () => {
  it('GSM-7: 160 characters in one segment, 153 a segment beyond', () => {
    expect(estimateBroadcast('a'.repeat(160), 10, 1)).toMatchObject({
      encoding: 'GSM-7',
      segmentsPerMessage: 1,
      totalSegments: 10,
      durationSeconds: 10,
    });
    expect(estimateBroadcast('a'.repeat(161), 10, 4)).toMatchObject({
      segmentsPerMessage: 2,
      totalSegments: 20,
      durationSeconds: 3,
    });
  });

  it('UCS-2 as soon as one character is not GSM-7: 70, then 67 a segment', () => {
    expect(estimateBroadcast(`${'a'.repeat(69)}é`, 1, 1)).toMatchObject({ encoding: 'GSM-7', segmentsPerMessage: 1 });
    expect(estimateBroadcast(`${'a'.repeat(69)}€`, 1, 1)).toMatchObject({ encoding: 'GSM-7' });
    expect(estimateBroadcast(`${'a'.repeat(69)}✓`, 1, 1)).toMatchObject({ encoding: 'UCS-2', segmentsPerMessage: 1 });
    expect(estimateBroadcast(`${'a'.repeat(70)}✓`, 1, 1)).toMatchObject({ encoding: 'UCS-2', segmentsPerMessage: 2 });
  });

  it('takes no time for no one', () => {
    expect(secondsAt(0, 1)).toBe(0);
    expect(secondsAt(3, 0.5)).toBe(6);
  });
});

describe("a recipient's stream", () => {
  it('new, then intended (may have been sent), then done with its one result', () => {
    const intent = {
      type: 'BroadcastRecipientIntentRecorded',
      data: { ...ref, body: 'hi', provider: 'twilio' },
      metadata: meta,
    } as DomainEvent;
    const sent = {
      type: 'BroadcastRecipientSent',
      data: { ...ref, body: 'hi', providerMessageSid: 'SM1', provider: 'twilio', segments: 1, encoding: 'GSM-7' },
      metadata: meta,
    } as DomainEvent;
    expect(recipientStateFrom([])).toEqual({ kind: 'new' });
    expect(recipientStateFrom([intent]).kind).toBe('intended');
    expect(recipientStateFrom([intent, sent])).toMatchObject({
      kind: 'done',
      result: { type: 'BroadcastRecipientSent' },
    });
  });

  it("the broadcast's own stream: running until completed or cancelled, whichever came first", () => {
    const started = {
      type: 'BroadcastStarted',
      data: {
        broadcastId: 'b1',
        text: 'hi',
        audience: { kind: 'tier', tier: 'all' },
        recipients: 1,
        encoding: 'GSM-7',
        segmentsPerMessage: 1,
        startedBy: 'admin',
      },
      metadata: meta,
    } as DomainEvent;
    const cancelled = {
      type: 'BroadcastCancelled',
      data: { broadcastId: 'b1', cancelledBy: 'admin' },
      metadata: meta,
    } as DomainEvent;
    const completed = {
      type: 'BroadcastCompleted',
      data: { broadcastId: 'b1', sent: 1, skipped: 0, failed: 0 },
      metadata: meta,
    } as DomainEvent;
    expect(lifecycleFrom([]).state).toBe('not_started');
    expect(lifecycleFrom([started]).state).toBe('running');
    expect(lifecycleFrom([started, cancelled, completed]).state).toBe('cancelled');
    expect(lifecycleFrom([started, completed, cancelled]).state).toBe('completed');
  });
});
