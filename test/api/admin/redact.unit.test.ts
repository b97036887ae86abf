import { describe, expect, it } from 'vitest';
import { redactForAnalyst } from '../../../api/redact.js';

describe('redactForAnalyst', () => {
  it('nulls message texts at any depth and masks phone fields with the analyst views rule', () => {
    const answer = {
      task: { userPhone: '+14155550123', smsContent: 'my secret', aiResponse: 'the answer', status: 'completed' },
      events: [
        { type: 'SmsReceived', data: { from: '+447700900123', to: '+15005550006', body: 'hello' } },
        { type: 'AiResponseGenerated', data: { text: 'an answer', model: 'gpt-4o' } },
        { type: 'KeywordDetected', data: { keyword: 'HELP', word: 'help' } },
      ],
      conversation: { items: [{ phone: '+14155550123', body: 'hi', direction: 'in' }] },
    };
    expect(redactForAnalyst(answer)).toEqual({
      task: { userPhone: '+1*******23', smsContent: null, aiResponse: null, status: 'completed' },
      events: [
        { type: 'SmsReceived', data: { from: '+4*******23', to: '+1*******06', body: null } },
        { type: 'AiResponseGenerated', data: { text: null, model: 'gpt-4o' } },
        { type: 'KeywordDetected', data: { keyword: 'HELP', word: null } },
      ],
      conversation: { items: [{ phone: '+1*******23', body: null, direction: 'in' }] },
    });
  });

  it('masks numbers inside other strings (error texts, stream names) and short-code senders', () => {
    expect(
      redactForAnalyst({
        errorMessage: "The 'To' number +1 (415) 555-0123 is not valid",
        streamName: 'user-+14155550123',
        from: '12345',
      }),
    ).toEqual({
      errorMessage: "The 'To' number +1*******23 is not valid",
      streamName: 'user-+1*******23',
      from: '***45',
    });
  });

  it('leaves what is not personal alone: times in from/to, ids, numbers, booleans, null', () => {
    const value = {
      from: '2026-01-01T00:00:00.000Z',
      to: null,
      messageSid: 'SM0123456789abcdef0123456789abcdef',
      tokens: 166,
      success: true,
      category: 'coding',
    };
    expect(redactForAnalyst(value)).toEqual(value);
  });

  it("hides an MMS's media URLs (they lead to what the texter sent) but keeps their types", () => {
    const url = 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1';
    expect(redactForAnalyst({ data: { numMedia: 1, media: [{ url, contentType: 'image/png' }] } })).toEqual({
      data: { numMedia: 1, media: [{ url: null, contentType: 'image/png' }] },
    });
  });
});
