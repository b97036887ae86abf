import { describe, expect, it } from 'vitest';
import { ApiError, call, must } from '../../dashboard/src/lib/api/client.js';

const response = (status: number, statusText = '') =>
  new Response(status === 204 ? null : '{}', { status, statusText });

describe('the dashboard API client: what counts as a failure', () => {
  it('gives the data of a 200', () => {
    expect(must({ data: { ok: true }, response: response(200) }, 'Reading')).toEqual({ ok: true });
  });

  it('takes a 204 No Content (a revoke) as success with nothing to read', () => {
    expect(must({ data: undefined, response: response(204) }, 'Revoking the token')).toBeUndefined();
  });

  it("names what failed and the API's message for an error answer", () => {
    const failing = () =>
      must({ error: { message: 'Requires role admin' }, response: response(403, 'Forbidden') }, 'Changing the tier');
    expect(failing).toThrow(ApiError);
    expect(failing).toThrow('Changing the tier failed: Requires role admin');
  });

  it('turns a network failure into an ApiError with status 0', async () => {
    const failed = call('Loading tasks', () => Promise.reject(new TypeError('fetch failed')));
    await expect(failed).rejects.toMatchObject({ status: 0, message: 'Loading tasks failed: fetch failed' });
  });
});
