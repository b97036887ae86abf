import { beforeAll, describe, expect, it } from 'vitest';
import { migrateReadModels } from '../../../projections/migrate.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { api, tokenFor } from '../actions/helpers.js';

/** Routes anyone may call: load balancers, Twilio (signed instead), sign-in, the docs. */
const PUBLIC = new Set([
  'GET /health',
  'GET /ready',
  'GET /metrics',
  'POST /sms/receive',
  'POST /sms/status',
  'POST /api/auth/login',
  'GET /openapi.json',
  'GET /docs',
]);
/** Changes every signed-in role may make to its own session. */
const ANY_ROLE = new Set(['POST /api/auth/logout']);

/** Values that pass each path parameter's schema, so the check under test is the credential. */
const SAMPLE: Record<string, string> = {
  messageSid: `SM${'0'.repeat(32)}`,
  phone: '%2B14155550123',
  id: '00000000-0000-4000-8000-000000000000',
  name: 'tasks',
};

interface Operation {
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: { required?: string[] } }> };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

function operations(doc: OpenApi) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => ({
        key: `${m.toUpperCase()} ${path}`,
        method: m.toUpperCase() as 'GET' | 'POST' | 'PATCH',
        url: path.replace(/\{(\w+)\}/g, (_, p: string) => SAMPLE[p] ?? 'x'),
        path,
        operation: methods[m] as Operation,
      })),
  );
}

describe('who may call what, for every route in the OpenAPI document', () => {
  const stack = useSmsStack();

  it('without credentials every route but the public ones answers 401; an analyst gets 403 on every route that changes something', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApi;
    const ops = operations(doc).filter((o) => !o.key.startsWith('GET /docs'));
    expect(ops.length).toBeGreaterThan(25);
    const analyst = await tokenFor(stack, 'analyst');

    const open: string[] = [];
    const analystChanges: string[] = [];
    for (const op of ops) {
      if (PUBLIC.has(op.key)) continue;
      const anonymous = await api(stack, op.method, op.url, {
        token: null,
        body: op.method === 'GET' ? undefined : {},
      });
      if (anonymous.status !== 401) open.push(`${op.key}: ${anonymous.status}`);
      if (op.method !== 'GET' && !ANY_ROLE.has(op.key)) {
        const asAnalyst = await api(stack, op.method, op.url, { token: analyst, body: {} });
        if (asAnalyst.status !== 403) analystChanges.push(`${op.key}: ${asAnalyst.status}`);
      }
    }
    expect(open).toEqual([]);
    expect(analystChanges).toEqual([]);
  });
});

describe('what an admin gets from every route in the OpenAPI document when the request is wrong', () => {
  const stack = useSmsStack();
  beforeAll(() => migrateReadModels(stack.config.DATABASE_URL as string));

  it('a route with a path parameter answers 404 for something that does not exist, with a stable code', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApi;
    const withParams = operations(doc).filter((o) => o.path.includes('{') && !PUBLIC.has(o.key));
    expect(withParams.length).toBeGreaterThan(8);
    const wrong: string[] = [];
    for (const op of withParams) {
      // A body that passes most schemas, so what is checked is the missing resource.
      const body = op.method === 'GET' ? undefined : { tier: 'premium', reason: 'matrix', text: 'x' };
      const answer = await api(stack, op.method, op.url.replace('/projections/tasks/', '/projections/nope/'), { body });
      if (answer.status !== 404 || answer.body.code !== 'NOT_FOUND') {
        wrong.push(`${op.key}: ${answer.status} ${String(answer.body.code)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('a route with required body fields answers 400 VALIDATION_FAILED to an empty body, never a 5xx', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApi;
    const withBody = operations(doc).filter(
      (o) =>
        !PUBLIC.has(o.key) &&
        (o.operation.requestBody?.content?.['application/json']?.schema?.required?.length ?? 0) > 0,
    );
    expect(withBody.length).toBeGreaterThan(5);
    const wrong: string[] = [];
    for (const op of withBody) {
      const answer = await api(stack, op.method, op.url, { body: {} });
      if (answer.status !== 400 || answer.body.code !== 'VALIDATION_FAILED') {
        wrong.push(`${op.key}: ${answer.status} ${String(answer.body.code)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
