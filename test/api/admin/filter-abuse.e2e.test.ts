import { describe, expect, it } from 'vitest';
import { READ_MODEL_SCHEMA } from '../../../projections/shared/sql.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { nextPhone } from '../../workflows/helpers.js';
import { useProjections } from '../actions/helpers.js';

/** What a hostile or careless caller puts in a filter, as it appears in the query string (encoded). */
const ABUSE: Record<string, string> = {
  'SQL comment': encodeURIComponent("' OR 1=1 --"),
  'SQL statement': encodeURIComponent("'; DROP TABLE tasks; --"),
  '100 KB': 'a'.repeat(100 * 1024),
  NUL: '%00',
  'NUL inside': `abc%00${encodeURIComponent("' OR '1'='1")}`,
  // A lone surrogate as a JS string (encoded as UTF-8 it becomes U+FFFD) and as raw CESU-8 bytes.
  'lone surrogate': encodeURIComponent('\uFFFD').replace('%EF%BF%BD', '%ED%A0%80'),
  'lone low surrogate': '%ED%B0%80x',
  'invalid percent': '%E0%A4%A',
};

interface Parameter {
  in: string;
  name: string;
}
interface OpenApi {
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
}

describe('SQL injection and oversized strings in every filter', () => {
  const stack = useSmsStack();
  useProjections(stack, ['tasks', 'users', 'messages', 'error_logs', 'daily_stats', 'audit']);

  const rowCounts = async () => {
    const { rows: tables } = await stack.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1`,
      [READ_MODEL_SCHEMA],
    );
    const counts: Record<string, number> = {};
    for (const { table_name } of tables) {
      const { rows } = await stack.pool.query(`SELECT count(*)::int AS n FROM ${READ_MODEL_SCHEMA}."${table_name}"`);
      counts[table_name] = rows[0].n;
    }
    const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM events');
    counts['(event store) events'] = rows[0].n;
    return counts;
  };

  it('change nothing and never give a 5xx, on every GET route with query parameters in the OpenAPI document', async () => {
    // Given: one answered SMS, projected, so every read model has rows to lose.
    const from = nextPhone();
    const sent = await stack.sendSms({ from, body: 'What is a monad?' });
    await stack.handle(sent.sid).result();
    const admin = { authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}` };
    await expect
      .poll(
        async () => {
          const r = await stack.app.inject({
            method: 'GET',
            url: `/api/users/${encodeURIComponent(from)}`,
            headers: admin,
          });
          return r.statusCode;
        },
        { timeout: 20_000 },
      )
      .toBe(200);
    await expect
      .poll(
        async () => (await stack.app.inject({ method: 'GET', url: '/api/tasks', headers: admin })).json().items?.length,
        {
          timeout: 20_000,
        },
      )
      .toBe(1);
    const before = await rowCounts();
    expect(before.tasks).toBe(1);

    // Real values for path parameters, so each route reaches its query.
    const sample: Record<string, string> = {
      messageSid: sent.sid,
      phone: encodeURIComponent(from),
      id: '00000000-0000-4000-8000-000000000000',
      name: 'tasks',
    };
    const doc = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApi;
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => {
      const query = (methods.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      return query.length > 0 && !path.startsWith('/docs') ? [{ path, query }] : [];
    });
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/api/tasks', '/api/users', '/api/audit']));

    const answers: string[] = [];
    const bad: string[] = [];
    for (const { path, query } of routes) {
      const url = path.replace(/\{(\w+)\}/g, (_, p: string) => sample[p] ?? 'x');
      // A route whose path names a thing that does not exist (a rebuild id) may answer 404.
      const notFoundIsFine = /\{id\}/.test(path);
      // The dev sign-in link checks its own token: anything else is 401.
      const unauthorizedIsFine = path === '/api/auth/dev-link';
      for (const parameter of query) {
        for (const [label, value] of Object.entries(ABUSE)) {
          const response = await stack.app.inject({
            method: 'GET',
            url: `${url}?${encodeURIComponent(parameter)}=${value}`,
            headers: admin,
          });
          const status = response.statusCode;
          answers.push(`${status}`);
          const ok =
            (status >= 200 && status < 300) ||
            status === 400 ||
            (notFoundIsFine && status === 404) ||
            (unauthorizedIsFine && status === 401);
          if (!ok) bad.push(`GET ${path} ${parameter}=<${label}>: ${status} ${response.body.slice(0, 200)}`);
          // An error answer is JSON with its code and never echoes a database's words.
          if (status >= 400) {
            expect(response.json().code, `${path} ${parameter} ${label}`).toMatch(/^[A-Z_]+$/);
            expect(response.body).not.toMatch(/syntax error|relation "|pg_|postgres/i);
          }
        }
      }
    }
    expect(bad).toEqual([]);
    expect(answers.length).toBeGreaterThan(50);
    expect(await rowCounts()).toEqual(before);
  });
});
