import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../activities/ai-client.js';
import { createAiClient } from '../../activities/ai-client.js';
import { createDemoModel, DEMO_LABEL, DEMO_MODEL, demoAnswer } from '../../activities/demo-model.js';
import { approxCharsFor, systemPrompt } from '../../domain/classifier/prompts.js';
import { fitToBudget, measure } from '../../domain/sms/segments.js';
import type { Category } from '../../domain/sms-task/events.js';
import { estimateCostUsd } from '../../domain/sms-task/pricing.js';
import { aiProvider, ConfigError, loadConfig } from '../../infra/config.js';

/** The messages generateAnswer (activities/sms-task.ts) sends a model. */
function request(category: Category, question: string, options: { segments?: number; history?: string[][] } = {}) {
  const maxSegments = options.segments ?? 3;
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt(category, { maxSegments, approxChars: approxCharsFor(maxSegments) }) },
    ...(options.history ?? []).flatMap(([q, a]): ChatMessage[] => [
      { role: 'user', content: q ?? '' },
      { role: 'assistant', content: a ?? '' },
    ]),
    { role: 'user', content: question },
  ];
  return { model: 'gpt-4o-mini', messages, maxTokens: Math.ceil(approxCharsFor(maxSegments) / 2) + 200 };
}

const categoryOfAnswer = (text: string) => /Category: (\w+)\./.exec(text)?.[1];

describe('the demo model', () => {
  it('given the same messages, gives the same answer, at once, labelled, for zero tokens', async () => {
    const model = createDemoModel();
    const first = await model.complete(request('general', 'What is the capital of France?'));
    const second = await model.complete(request('general', 'What is the capital of France?'));
    expect(second).toEqual(first);
    expect(first.model).toBe(DEMO_MODEL);
    expect(first.text.startsWith(DEMO_LABEL)).toBe(true);
    expect(first.text).toContain('What is the capital of France?');
    expect(first).toMatchObject({ promptTokens: 0, completionTokens: 0 });
    // Other questions, other answers.
    expect((await model.complete(request('general', 'How tall is Everest?'))).text).not.toBe(first.text);
  });

  it('costs nothing: the cost of the demo model name at zero tokens is 0, not NaN', () => {
    expect(estimateCostUsd(DEMO_MODEL, 0, 0)).toBe(0);
  });

  it.each([
    ['coding', 'code snippet'],
    ['debug', 'most likely cause'],
    ['design', 'trade-offs'],
    ['documentation', 'one example'],
    ['analysis', 'conclusion first'],
    ['general', 'answer it directly'],
  ] as const)('given the %s system prompt, answers as that category', (category, words) => {
    const text = demoAnswer(request(category, 'help me with this').messages);
    expect(text).toContain(`Category: ${category}.`);
    expect(text).toContain(words);
  });

  it('refers to the previous turn of the conversation it is given', () => {
    const text = demoAnswer(
      request('general', 'and in winter?', { history: [['What is the weather in Oslo?', 'Cold.']] }).messages,
    );
    expect(text).toContain('Before that you asked: "What is the weather in Oslo?"');
    expect(demoAnswer(request('general', 'and in winter?').messages)).not.toContain('Before that');
  });

  it("quotes a sender's text without its directional overrides, so they cannot reverse the rest of the answer", () => {
    // What the simulator was sent: a right-to-left override (U+202E) never closed, a zero-width
    // space, a combining accent, an isolate (U+2067) and a stray pop (U+2069), Hebrew and an emoji.
    const question =
      'Caf\u00e9 \u{1F469}\u{1F3FD}\u200D\u{1F4BB} \u202Eabc\u200B e\u0301 \u2067\u05E9\u05DC\u05D5\u05DD\u2069 first run?';
    for (const text of [
      demoAnswer(request('general', question).messages),
      demoAnswer(request('general', 'and then?', { history: [[question, 'Fine.']], segments: 10 }).messages),
      demoAnswer(request('general', `${question} in detail`).messages),
    ]) {
      expect(text).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/u);
      // Everything else the sender wrote is quoted as written.
      expect(text).toContain('Caf\u00e9 \u{1F469}\u{1F3FD}\u200D\u{1F4BB} abc\u200B e\u0301 \u05E9\u05DC\u05D5\u05DD');
      expect(text.endsWith(' for real answers.') || text.includes('The end.')).toBe(true);
    }
  });

  it('shortens a quote between emoji, never inside one (skin tone, ZWJ sequence, flag)', () => {
    const emoji = ['\u{1F469}\u{1F3FD}\u200D\u{1F4BB}', '\u{1F44D}\u{1F3FF}', '\u{1F1F3}\u{1F1F4}'];
    for (const e of emoji) {
      // No space to cut at: the cut falls among the emoji, one code point at a time.
      for (let lead = 60; lead < 80; lead++) {
        const text = demoAnswer(request('general', `${'x'.repeat(lead)}${e.repeat(30)}`, { segments: 10 }).messages);
        const quoted = /You asked: "([^"]*)"/u.exec(text)?.[1] ?? '';
        expect(quoted.endsWith('...')).toBe(true);
        expect(quoted.slice(lead, -3), `lead ${lead}`).toBe(e.repeat(quoted.slice(lead, -3).length / e.length));
      }
    }
  });

  it.each([1, 2, 3])('stays within a budget of %i segment(s), even for a long question with an emoji', (segments) => {
    const question = `Can you explain 🙂 ${'why the sky is blue and sunsets are red '.repeat(8)}`;
    for (const q of [question, 'hi']) {
      const text = demoAnswer(request('design', q, { segments }).messages);
      expect(measure(text).segments).toBeLessThanOrEqual(segments);
      expect(text.startsWith(DEMO_LABEL)).toBe(true);
      expect(fitToBudget(text, { maxSegments: segments }).hasMore).toBe(false);
    }
  });

  it('without a budget in the system prompt, keeps to what maxTokens allows (one segment at least)', () => {
    const messages: ChatMessage[] = [{ role: 'user', content: `Why ${'is the sky blue '.repeat(10)}?` }];
    const two = demoAnswer(messages, Math.ceil(approxCharsFor(2) / 2) + 200);
    expect(measure(two).segments).toBeLessThanOrEqual(2);
    expect(measure(two).segments).toBe(2);
    expect(measure(demoAnswer(messages)).segments).toBe(1);
    expect(categoryOfAnswer(two)).toBe('general');
  });

  it('when asked for a long answer, answers past the budget so MORE sends the rest', () => {
    const text = demoAnswer(request('documentation', 'Explain event sourcing in detail', { segments: 2 }).messages);
    expect(text.length).toBeGreaterThan(approxCharsFor(2) * 2);
    const first = fitToBudget(text, { maxSegments: 2 });
    expect(first.hasMore).toBe(true);
    expect(first.part).toContain('Text MORE');
    const second = fitToBudget(text, { maxSegments: 2, fromOffset: first.nextOffset });
    expect(second.part).not.toBe(first.part);
    expect(measure(second.part).segments).toBeLessThanOrEqual(2);
  });
});

describe('which AI answers', () => {
  const config = (env: Record<string, string>) => loadConfig(env, '/nonexistent');

  it('given neither OPENAI_API_KEY nor OPENAI_BASE_URL, the demo model; given either, never', async () => {
    expect(aiProvider(config({}))).toBe('demo');
    expect(aiProvider(config({ OPENAI_API_KEY: 'sk-test' }))).toBe('openai');
    expect(aiProvider(config({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }))).toBe('compatible');
    expect(aiProvider(config({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }))).toBe(
      'compatible',
    );
    const demo = await createAiClient(config({})).complete(request('general', 'hi'));
    expect(demo.model).toBe(DEMO_MODEL);
    // A configured endpoint is called, even when it is down: the demo model never stands in for it.
    const down = createAiClient(config({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_TIMEOUT_MS: '2000' }));
    await expect(down.complete(request('general', 'hi'))).rejects.toMatchObject({ kind: 'transient' });
  });

  it('given NODE_ENV=production and no AI configured, refuses naming both variables', () => {
    let error: unknown;
    try {
      aiProvider(config({ NODE_ENV: 'production' }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/OPENAI_API_KEY.*OPENAI_BASE_URL/);
    expect(() => createAiClient(config({ NODE_ENV: 'production' }))).toThrow(ConfigError);
    expect(aiProvider(config({ NODE_ENV: 'production', OPENAI_API_KEY: 'sk-test' }))).toBe('openai');
  });
});
