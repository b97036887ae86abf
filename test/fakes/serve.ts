/**
 * Runs the Twilio and OpenAI fakes as a standalone process, for trying `npm run dev` end to end
 * without the internet:  node --import tsx test/fakes/serve.ts
 * It prints the environment variables to start `sms-agent dev` with.
 */
import { startFakeOpenAI } from './openai.js';
import { startFakeTwilio } from './twilio.js';

const accountSid = process.env.TWILIO_ACCOUNT_SID ?? `AC${'0'.repeat(31)}1`;
const authToken = process.env.TWILIO_AUTH_TOKEN ?? 'local-fake-auth-token';
const twilio = await startFakeTwilio({ accountSid, authToken });
const openai = await startFakeOpenAI();
process.stdout.write(
  [
    `TWILIO_ACCOUNT_SID=${accountSid}`,
    `TWILIO_AUTH_TOKEN=${authToken}`,
    'TWILIO_PHONE_NUMBER=+15005550006',
    `TWILIO_API_BASE_URL=${twilio.baseUrl}`,
    'OPENAI_API_KEY=fake-key',
    `OPENAI_BASE_URL=${openai.baseUrl}`,
    'OPENAI_FALLBACK_MODEL=gpt-4.1-mini',
    '',
  ].join('\n'),
);
setInterval(() => {
  for (const m of twilio.messages.splice(0)) process.stderr.write(`fake Twilio got SMS to ${m.to}: ${m.body}\n`);
}, 500);
const stop = async () => {
  await Promise.all([twilio.close(), openai.close()]);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
