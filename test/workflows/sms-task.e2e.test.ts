import { describe, expect, it } from 'vitest';
import { SMS_STATUS } from '../../workflows/types.js';
import { useSmsStack } from '../support/sms-stack.js';
import { types } from './helpers.js';

describe('smsTask: text the number, get an AI answer', () => {
  const stack = useSmsStack();

  it('given a signed webhook, answers at once with empty TwiML and replies with the model text', async () => {
    stack.openai.knobs.reply = 'Use Array.prototype.flat() to flatten one level.';
    const from = '+14155550101';
    const sent = await stack.sendSms({ from, body: 'How do I flatten an array in JavaScript?' });
    expect(sent.status).toBe(200);
    expect(sent.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');

    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(stack.twilio.messages).toHaveLength(1);
    expect(stack.twilio.messages[0]).toMatchObject({
      to: from,
      body: 'Use Array.prototype.flat() to flatten one level.',
    });
    expect(stack.twilio.messages[0]?.statusCallback).toBe(`${stack.apiUrl}/sms/status?task=${sent.sid}`);

    expect(types(await stack.events(`sms-${sent.sid}`))).toEqual([
      'SmsReceived',
      'TaskClassified',
      'AiResponseGenerated',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
    expect(types(await stack.events(`user-${from}`))).toEqual([
      'UserRegistered',
      'UsageRecorded',
      // The most the answer could cost, held until the call; then what it cost (domain/user/spend.ts).
      'SpendReserved',
      'SpendRecorded',
      'ConversationTurnRecorded',
      'ReplyProgressRecorded',
    ]);
    const ai = (await stack.events(`sms-${sent.sid}`)).find((e) => e.type === 'AiResponseGenerated');
    expect(ai?.data).toMatchObject({ model: 'gpt-4o' });
    // SmsStatus=PROCESSING came with the start, so the workflow upserted only the final status.
    const history = await stack.handle(sent.sid).fetchHistory();
    const statusUpserts = (history.events ?? []).filter(
      (e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.SmsStatus,
    );
    expect(statusUpserts).toHaveLength(1);
    // No patch marker (the input's version says which code the run was started for), and
    // SmsCategory went out with that status: one upsert in all (a history event and a visibility write).
    const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    expect(markers).toHaveLength(0);
    const upserts = (history.events ?? []).filter((e) => e.upsertWorkflowSearchAttributesEventAttributes);
    expect(upserts).toHaveLength(1);
    // From version 3 one remote activity runs the whole round: no local activity (no marker), the
    // one-activity workflow's 11 events plus the final status.
    const events = history.events ?? [];
    expect(events.filter((e) => e.markerRecordedEventAttributes)).toHaveLength(0);
    const activities = events.filter((e) => e.activityTaskScheduledEventAttributes);
    expect(activities.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual(['processSms']);
    expect(events).toHaveLength(12);
    const described = await stack.handle(sent.sid).describe();
    expect(described.typedSearchAttributes.get(SMS_STATUS)).toBe('COMPLETED');
    expect(described.searchAttributes.SmsCategory).toEqual(['coding']);
    expect((ai?.data as { promptTokens: number } | undefined)?.promptTokens ?? 0).toBeGreaterThan(0);
  });
});
