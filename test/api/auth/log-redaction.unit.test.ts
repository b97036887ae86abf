import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../infra/logger.js';

describe('credentials never reach the logs', () => {
  it('redacts session cookies, CSRF tokens, bearer tokens and passwords wherever a log line carries them', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    const secrets = {
      cookie: 'sms_agent_session=Zm9yZ2VkLXNlc3Npb24tY29va2llLXZhbHVl',
      csrf: 'Y3NyZi10b2tlbi12YWx1ZS1ub3QtZm9yLWxvZ3M',
      bearer: 'Bearer sat_dG9rZW4tdmFsdWUtbm90LWZvci1sb2dz',
      password: 'hunter2-but-longer',
    };
    logger.info({
      req: { headers: { cookie: secrets.cookie, 'x-csrf-token': secrets.csrf, authorization: secrets.bearer } },
      res: { headers: { 'set-cookie': secrets.cookie } },
    });
    logger.info({ headers: { cookie: secrets.cookie }, body: { email: 'a@example.test', password: secrets.password } });
    logger.info({ session: { csrfToken: secrets.csrf } });
    const out = lines.join('');
    expect(lines).toHaveLength(3);
    for (const secret of Object.values(secrets)) expect(out).not.toContain(secret.split('=').at(-1));
    expect(out.match(/\[redacted\]/g)).toHaveLength(7);
  });
});
