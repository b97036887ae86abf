import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema } from '../../infra/config.js';
import { SEARCH_ATTRIBUTES } from '../../infra/temporal-dev-server.js';
import { ROOT } from '../support/processes.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const COMPOSE = path.join(ROOT, 'docker-compose.yml');

interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
  ports?: string[];
  command?: string[] | string;
  deploy?: { replicas?: number };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** The file as Compose reads it: YAML merge keys (`<<: *app`) applied. */
const loadCompose = (text = read('docker-compose.yml')) => parse(text, { merge: true }) as Compose;

/** `${VAR:-default}` / `${VAR:?message}` / `${VAR}` as Compose would see it with VAR unset. */
const withDefaults = (value: string) => value.replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?(?::?\?[^}]*)?\}/g, '$1');

/** Why an image reference is not pinned to a version tag, or undefined when it is. */
function unpinned(image: string): string | undefined {
  const ref = withDefaults(image);
  if (ref.includes('@sha256:')) return undefined;
  const tag = ref.split('/').pop()?.split(':')[1];
  if (tag === undefined || tag === '') return `${ref} has no tag`;
  if (!/\d/.test(tag) || /^(latest|stable|edge|nightly|lts|current)\b/.test(tag)) return `${ref}: "${tag}" moves`;
  return undefined;
}

/** One-shot jobs: they run to completion, others wait for `service_completed_successfully`. */
const isOneShot = (service: Service) => service.restart === 'no';

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const services = Object.entries(compose.services);

  it('is valid against the Compose Specification JSON schema (the copy dclint ships)', () => {
    const schema = JSON.parse(read('node_modules/dclint/schemas/compose.schema.json'));
    delete schema.$schema; // draft-07 by URL; Ajv's default draft is the same one
    const validate = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true }).compile(schema);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The same validator refuses a key Compose does not know.
    const broken = loadCompose();
    (broken.services.postgres as Record<string, unknown>).healthcheck_typo = {};
    expect(validate(broken)).toBe(false);
  });

  it('passes dclint with every rule on (schema, explicit tags, quoted ports, bound interfaces, order)', () => {
    const linter = new DCLinter({ debug: false, exclude: [], rules: {}, quiet: false });
    const [result] = linter.lintFiles([COMPOSE], false);
    expect(
      result?.messages.map(
        (m: { line: number; rule: string; message: string }) => `${m.line}: ${m.rule}: ${m.message}`,
      ),
    ).toEqual([]);
  });

  it('dclint fails a file that breaks its rules (the check can fail)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-lint-'));
    const file = path.join(dir, 'docker-compose.yml');
    writeFileSync(file, 'services:\n  db:\n    image: postgres\n    ports:\n      - 5432:5432\n');
    const [result] = new DCLinter({ debug: false, exclude: [], rules: {}, quiet: false }).lintFiles([file], false);
    expect(result?.messages.map((m: { rule: string }) => m.rule)).toEqual(
      expect.arrayContaining(['service-image-require-explicit-tag', 'no-unbound-port-interfaces']),
    );
  });

  it('pins every image by a version tag, the anchored app image included (dclint does not follow anchors)', () => {
    const problems = services.flatMap(([name, s]) =>
      s.image === undefined ? [`${name}: no image`] : [unpinned(s.image)].filter(Boolean).map((p) => `${name}: ${p}`),
    );
    expect(problems).toEqual([]);
    expect(unpinned('postgres')).toBeDefined();
    expect(unpinned('caddy:latest')).toBeDefined();
    expect(unpinned('${IMG:-sms-agent:latest}')).toBeDefined();
    expect(unpinned('${IMG:-sms-agent:0.1.0}')).toBeUndefined();
  });

  it('gives every long-running service a healthcheck, and one-shot jobs none to wait on', () => {
    const longRunning = services.filter(([, s]) => !isOneShot(s));
    expect(longRunning.map(([name]) => name).sort()).toEqual(
      ['api', 'kurrentdb', 'postgres', 'projector', 'proxy', 'temporal', 'temporal-ui', 'worker'].sort(),
    );
    for (const [name, s] of longRunning) {
      expect(s.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      expect(s.healthcheck?.disable, name).not.toBe(true);
      expect(s.restart, `${name} restart`).toBe('unless-stopped');
    }
    expect(
      services.filter(([, s]) => isOneShot(s)).map(([name]) => name),
      'one-shot jobs',
    ).toEqual(['migrate', 'temporal-schema', 'temporal-setup']);
  });

  it('states a condition on every dependency: healthy for servers, completed for one-shot jobs', () => {
    for (const [name, s] of services) {
      if (s.depends_on === undefined) continue;
      expect(Array.isArray(s.depends_on), `${name}: depends_on as a list has no condition`).toBe(false);
      for (const [dep, { condition }] of Object.entries(s.depends_on as Record<string, { condition?: string }>)) {
        const target = compose.services[dep];
        expect(target, `${name} -> ${dep}`).toBeDefined();
        expect(condition, `${name} -> ${dep}`).toBe(
          isOneShot(target as Service) ? 'service_completed_successfully' : 'service_healthy',
        );
      }
    }
    // The roles wait for the migrations and for Temporal's namespace and search attributes.
    for (const role of ['api', 'worker', 'projector']) {
      expect(Object.keys(compose.services[role]?.depends_on ?? {})).toEqual(
        expect.arrayContaining(['migrate', 'temporal-setup']),
      );
    }
  });

  it('runs the roles from one image as replicas: api x2 behind the proxy, worker x2, projector x2', () => {
    const image = compose.services.migrate?.image;
    for (const role of ['api', 'worker', 'projector']) {
      const s = compose.services[role] as Service;
      expect(s.image, role).toBe(image);
      expect(s.command, role).toEqual([role]);
      expect(s.deploy?.replicas, role).toBe(2);
      expect(s.ports, `${role} is reached through the proxy only`).toBeUndefined();
    }
    expect(compose.services.migrate?.command).toEqual(['migrate']);
    const published = services.filter(([, s]) => s.ports !== undefined).map(([name]) => name);
    expect(published).toEqual(['proxy', 'temporal-ui']);
    expect(compose.services['temporal-ui']?.ports).toEqual(['127.0.0.1:8233:8080']);
    expect(read('deploy/Caddyfile')).toMatch(/dynamic a \{\s*name api\s*port 3000/);
  });

  it('keeps the events in KurrentDB and Temporal on PostgreSQL, set up by admin-tools jobs', () => {
    const env = compose.services.api?.environment ?? {};
    expect(env.EVENTSTORE_URL).toMatch(/^kurrentdb:\/\/kurrentdb:2113/);
    expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(compose.services.temporal?.image).toMatch(/^temporalio\/server:/);
    expect(compose.services.temporal?.environment?.DB).toBe('postgres12');
    expect(compose.services['temporal-schema']?.image).toMatch(/^temporalio\/admin-tools:/);
    expect(JSON.stringify(compose.services['temporal-schema']?.command)).toContain('update-schema');
    expect(
      services.some(([, s]) => s.image?.includes('auto-setup')),
      'the deprecated auto-setup image',
    ).toBe(false);
  });

  it('registers exactly the search attributes the workflows set', () => {
    const script = JSON.stringify(compose.services['temporal-setup']?.command);
    const loop = script
      .match(/for name in ([A-Za-z ]+); do/)?.[1]
      ?.trim()
      .split(/\s+/);
    expect(loop?.sort()).toEqual(Object.keys(SEARCH_ATTRIBUTES).sort());
    for (const type of Object.values(SEARCH_ATTRIBUTES)) expect(script).toContain(`--type ${type}`);
  });

  it('gives the Temporal UI the codec endpoint with credentials', () => {
    const env = compose.services['temporal-ui']?.environment ?? {};
    expect(env.TEMPORAL_CODEC_ENDPOINT).toMatch(/\/api\/temporal-codec$/);
    expect(env.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
  });

  it('holds no secret: passwords, tokens and keys come from .env', () => {
    const text = read('docker-compose.yml');
    for (const [, key, value] of text.matchAll(
      /^\s*([A-Z0-9_]*(?:PASSWORD|PWD|TOKEN|SECRET|KEY)[A-Z0-9_]*):\s*(.*)$/gm,
    )) {
      expect(value, key).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]+\}$/);
    }
    // A URL with a password interpolates it (and does not default it).
    for (const [url] of text.matchAll(/[a-z]+:\/\/[^\s:@/]+:[^\s@]+@/g)) expect(url).toMatch(/:\$\{[A-Z_]+:\?/);
    expect(compose.services.api?.environment).not.toHaveProperty('TEMPORAL_PAYLOAD_KEYS');
  });

  it('keeps state in named volumes (bind mounts only for read-only config from deploy/)', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, s] of services) {
      for (const volume of s.volumes ?? []) {
        const [source] = volume.split(':') as [string];
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(volume, name).toMatch(/^\.\/deploy\/[^:]+:[^:]+:ro$/);
        } else {
          expect(declared, `${name}: ${source}`).toContain(source);
        }
      }
    }
    expect(declared.sort()).toEqual(['caddy-data', 'kurrentdb-data', 'pgdata']);
  });

  it('lists every variable it interpolates in .env.example', () => {
    const example = read('.env.example');
    const used = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1] as string));
    for (const name of used) expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
  });
});

describe('every variable the app reads (infra/config.ts ConfigSchema)', () => {
  const variables = Object.keys(ConfigSchema.properties);

  it('is in .env.example', () => {
    const example = read('.env.example');
    const missing = variables.filter((name) => !new RegExp(`^(# )?${name}=`, 'm').test(example));
    expect(missing).toEqual([]);
  });

  /**
   * The names the README's configuration table gives, with its shorthands expanded:
   * `QUOTA_FREE_PER_MINUTE` / `_PER_DAY` means QUOTA_FREE_PER_DAY too.
   */
  function readmeTableVariables(readme: string): Set<string> {
    const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
    const names = new Set<string>();
    for (const row of section.split('\n').filter((line) => line.startsWith('| `'))) {
      const firstCell = row.split('|')[1] ?? '';
      let previous = '';
      for (const [, token] of firstCell.matchAll(/`([A-Z0-9_]+)`/g)) {
        if (token?.startsWith('_') && previous) {
          const parts = previous.split('_');
          for (let i = 1; i < parts.length; i++) names.add(parts.slice(0, i).join('_') + token);
        } else if (token) {
          names.add(token);
          previous = token;
        }
      }
    }
    return names;
  }

  it("is in the README's configuration table", () => {
    const names = readmeTableVariables(read('README.md'));
    expect(variables.filter((name) => !names.has(name))).toEqual([]);
  });

  it('the table check can fail: a row taken out is missed', () => {
    const readme = read('README.md').replace(/^\| `LOG_LEVEL`.*$/m, '');
    expect(readmeTableVariables(readme).has('LOG_LEVEL')).toBe(false);
    expect(readmeTableVariables(readme).has('QUOTA_PREMIUM_PER_MONTH')).toBe(true);
  });
});

/** Whether a Docker engine answers here (the client alone is not enough). */
function dockerEngine(): string | undefined {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 10_000 });
    execFileSync('docker', ['compose', 'version'], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch (error) {
    const text = `${(error as { stderr?: Buffer }).stderr ?? ''}`.trim().split('\n')[0];
    return `no Docker engine with the compose plugin here (${text || (error as Error).message})`;
  }
}

describe('the stack on a Docker engine (smoke)', () => {
  const skipped = dockerEngine();
  if (skipped) console.info(`compose smoke test skipped: ${skipped}`);

  it.skipIf(skipped !== undefined)(
    `comes up healthy and accepts a signed SMS through the proxy${skipped ? ` [skipped: ${skipped}]` : ''}`,
    async () => {
      // Written for an engine this machine does not have: it has never run here.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-smoke-'));
      const key = Buffer.alloc(32, 3).toString('base64');
      const authToken = 'smoke-auth-token-0123456789';
      writeFileSync(
        path.join(dir, '.env'),
        [
          'POSTGRES_PASSWORD=smoke-password',
          'PUBLIC_URL=http://localhost',
          `TEMPORAL_PAYLOAD_KEYS=smoke:${key}`,
          'OPENAI_BASE_URL=http://127.0.0.1:9/v1',
          `TWILIO_ACCOUNT_SID=AC${'0'.repeat(32)}`,
          `TWILIO_AUTH_TOKEN=${authToken}`,
          'TWILIO_PHONE_NUMBER=+15005550006',
        ].join('\n'),
      );
      const compose = (...args: string[]) =>
        execFileSync(
          'docker',
          ['compose', '-f', COMPOSE, '--env-file', path.join(dir, '.env'), '-p', 'sms-smoke', ...args],
          {
            cwd: ROOT,
            stdio: 'inherit',
            timeout: 900_000,
          },
        );
      try {
        compose('up', '-d', '--build', '--wait');
        const health = await fetch('http://localhost/health');
        expect(health.status).toBe(200);
        const { default: twilio } = await import('twilio');
        const params = { From: '+15551230001', To: '+15005550006', Body: 'hello', MessageSid: `SM${'1'.repeat(32)}` };
        const signature = twilio.getExpectedTwilioSignature(authToken, 'http://localhost/sms/receive', params);
        const response = await fetch('http://localhost/sms/receive', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams(params),
        });
        expect(response.status).toBe(200);
      } finally {
        compose('down', '-v');
      }
    },
    1_000_000,
  );
});
