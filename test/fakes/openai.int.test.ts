import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, imageUrls, startFakeOpenAI } from './openai.js';

let fake: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  client = new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const ask = (content: string, model = 'gpt-4o-mini') =>
  client.chat.completions.create({
    model,
    messages: [
      { role: 'system', content: 'Answer by SMS.' },
      { role: 'user', content },
    ],
  });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('fake OpenAI with the real openai SDK', () => {
  it('given a question, then the completion echoes it and reports token usage', async () => {
    const completion = await ask('What is 2+2?');
    expect(fake.baseUrl).toMatch(/\/v1$/);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0]?.message.content).toContain('What is 2+2?');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const usage = completion.usage!;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(completion._request_id).toMatch(/^req_/);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ model: 'gpt-4o-mini', status: 200 });
    expect(fake.requests[0]?.messages[1]).toEqual({ role: 'user', content: 'What is 2+2?' });
  });

  it('given the same request twice, then the same answer and usage (deterministic)', async () => {
    const a = await ask('Same question');
    const b = await ask('Same question');
    expect(a.choices[0]?.message.content).toBe(b.choices[0]?.message.content);
    expect(a.usage).toEqual(b.usage);
  });

  it('given a reply knob, then that is the answer', async () => {
    fake.knobs.reply = 'Fixed.';
    expect((await ask('anything')).choices[0]?.message.content).toBe('Fixed.');
    fake.knobs.reply = (request) => `model=${request.model} turns=${request.messages.length}`;
    expect((await ask('anything', 'gpt-4o')).choices[0]?.message.content).toBe('model=gpt-4o turns=2');
  });

  it('given failNext(1, 503), then the SDK gets an APIError with status 503, and the next call works', async () => {
    fake.knobs.failNext(1, 503);
    const error = await rejection(ask('hi'));
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    await expect(ask('hi')).resolves.toBeTruthy();
    expect(fake.requests.map((r) => r.status)).toEqual([503, 200]);
  });

  it('given rateLimitNext(1, 7), then the SDK gets a RateLimitError carrying Retry-After', async () => {
    fake.knobs.rateLimitNext(1, 7);
    const error = await rejection(ask('hi'));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.headers.get('retry-after')).toBe('7');
    expect(rateLimit.code).toBe('rate_limit_exceeded');
  });

  it('given failAlways, then every call fails until heal()', async () => {
    fake.knobs.failAlways(500);
    expect(await rejection(ask('a'))).toBeInstanceOf(OpenAI.InternalServerError);
    expect(await rejection(ask('b'))).toBeInstanceOf(OpenAI.InternalServerError);
    fake.knobs.heal();
    await expect(ask('c')).resolves.toBeTruthy();
  });

  it('given failForModel, then only that model fails (a fallback model still answers)', async () => {
    fake.knobs.failForModel('gpt-4o');
    const error = await rejection(ask('hi', 'gpt-4o'));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    await expect(ask('hi', 'gpt-4o-mini')).resolves.toBeTruthy();
  });

  it('given max_tokens below the answer, then the answer is cut and finish_reason is length', async () => {
    fake.knobs.reply = 'x'.repeat(400);
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'long please' }],
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.choices[0]?.message.content).toHaveLength(40);
    expect(completion.usage?.completion_tokens).toBe(10);
  });

  it('given an SDK that retries, when one 5xx happens, then the retry succeeds', async () => {
    const retrying = new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 1 });
    fake.knobs.failNext(1, 500);
    const completion = await retrying.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'retry me' }],
    });
    expect(completion.choices[0]?.message.content).toContain('retry me');
    expect(fake.requests.map((r) => r.status)).toEqual([500, 200]);
  });

  it('given latency, then the answer takes at least that long', async () => {
    fake.knobs.latencyMs = 150;
    const started = performance.now();
    await ask('slow');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('given no API key, then 401', async () => {
    const response = await fetch(`${fake.baseUrl}/chat/completions`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
  });

  it('given the models endpoint, then the SDK lists models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });
});

describe('fake OpenAI with image input (vision)', () => {
  const image = `data:image/png;base64,${Buffer.from('not really a png').toString('base64')}`;

  it('given text and an image_url part from the SDK, then the fake records the data URL and answers', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in the picture?' },
            { type: 'image_url', image_url: { url: image } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toContain('What is in the picture?');
    expect(fake.requests.map(imageUrls)).toEqual([[image]]);
  });

  it('given an image_url that is no image data URL, then 400 as OpenAI answers', async () => {
    const error = await rejection(
      client.chat.completions.create({
        model: 'gpt-4o',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:application/pdf;base64,JVBE' } }] },
        ],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(fake.requests[0]?.status).toBe(400);
  });

  it('given a text-only request, then no image is recorded', async () => {
    await ask('Plain text');
    expect(imageUrls(fake.requests[0]!)).toEqual([]);
  });
});
