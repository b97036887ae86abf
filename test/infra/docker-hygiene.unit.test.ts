import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

/**
 * Whether Docker leaves `path` out of the build context: .dockerignore patterns in order, the last
 * one that matches wins, `!` re-includes, and a pattern that matches a directory covers everything
 * under it. Hand-written: Docker's matcher (moby/patternmatcher) is Go, and no JS port is installed.
 */
function excludedByDockerignore(patterns: readonly string[], path: string): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/^\/+/, '')
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) =>
          part === '**/'
            ? '(?:.*/)?'
            : part === '**'
              ? '.*'
              : part === '*'
                ? '[^/]*'
                : part === '?'
                  ? '[^/]'
                  : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('')}(?:/.*)?$`,
    );
  let excluded = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (toRegExp(negated ? pattern.slice(1) : pattern).test(path)) excluded = !negated;
  }
  return excluded;
}

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it.each([
    '.env',
    '.env.production',
    '.env.local',
    'deploy/.env',
    '.data/postgres/PG_VERSION',
    'node_modules/pg/package.json',
    '.git/HEAD',
    'coverage/index.html',
    'test/.tmp/old/phone.ts',
  ])('keeps %s out of the image', (path) => {
    expect(excludedByDockerignore(patterns, path)).toBe(true);
  });

  it.each([
    '.env.example',
    'package.json',
    'package-lock.json',
    'bin/sms-agent.mjs',
    'projections/migrations/1767225600002_analyst-privacy.sql',
    'infra/logger.ts',
    'deploy/healthcheck.mjs',
    'tsconfig.build.json',
  ])('keeps %s in the build context', (path) => {
    expect(excludedByDockerignore(patterns, path)).toBe(false);
  });
});

describe('Dockerfile', () => {
  /** Stages by name, each with its instructions (continuation lines joined). */
  const stages = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of read('Dockerfile')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')) {
    const from = line.match(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i);
    if (from) {
      current = [line];
      stages.set(from[2] ?? from[1] ?? '', current);
    } else if (line.trim() !== '' && !line.startsWith('#')) current.push(line);
  }
  const runtime = [...stages.values()].at(-1) ?? [];
  const baseImage = read('Dockerfile').match(/^ARG NODE_IMAGE=(\S+)$/m)?.[1];

  it('builds in stages and pins the base image by a version tag', () => {
    expect([...stages.keys()]).toEqual(['deps', 'build', 'prod-deps', 'runtime']);
    expect(baseImage).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim$/);
    for (const stage of stages.values()) expect(stage[0]).toMatch(/^FROM (\$\{NODE_IMAGE\}|deps) AS /);
  });

  it('compiles in the build stage: dist/ with the workflow bundle, and the dashboard', () => {
    expect(stages.get('build')?.join('\n')).toContain('npm run build && npm run build:dashboard');
  });

  it('ships production dependencies only, and compiled code without the sources', () => {
    expect(stages.get('prod-deps')?.join('\n')).toMatch(/npm ci --omit=dev/);
    const copies = runtime.filter((line) => line.startsWith('COPY'));
    expect(copies).toContain('COPY --from=prod-deps /app/node_modules ./node_modules');
    expect(copies).toContain('COPY --from=build /app/dist ./dist');
    expect(copies).toContain('COPY --from=build /app/dashboard/build ./dashboard/build');
    expect(
      copies.filter((line) => / \. \.?\/?$|COPY \. /.test(line)),
      'no whole-context copy',
    ).toEqual([]);
    expect(runtime.join('\n')).toContain('NODE_ENV=production');
  });

  it('runs as a non-root user under an init that forwards SIGTERM, with a HEALTHCHECK', () => {
    const user = runtime.filter((line) => line.startsWith('USER'));
    expect(user).toEqual(['USER node']);
    expect(runtime.join('\n')).toMatch(/apt-get install -y --no-install-recommends tini/);
    expect(runtime.find((line) => line.startsWith('ENTRYPOINT'))).toBe(
      'ENTRYPOINT ["tini", "--", "node", "bin/sms-agent.mjs"]',
    );
    expect(runtime.find((line) => line.startsWith('HEALTHCHECK'))).toMatch(
      /CMD \["node", "deploy\/healthcheck\.mjs"\]$/,
    );
  });
});

describe('docker-compose.yml', () => {
  /** The lines of one service: from `  <name>:` to the next line indented two spaces or less. */
  function serviceBlock(name: string): string[] {
    const lines = read('docker-compose.yml').split('\n');
    const start = lines.indexOf(`  ${name}:`);
    expect(start, `service ${name}`).toBeGreaterThanOrEqual(0);
    const rest = lines.slice(start + 1);
    const end = rest.findIndex((line) => line.trim() !== '' && !/^ {3,}/.test(line));
    return rest.slice(0, end === -1 ? undefined : end).filter((line) => !line.trim().startsWith('#'));
  }

  /** Published ports, inline (`ports: ["a", "b"]`) or as a list (`- "a"` under `ports:`). */
  function publishedPorts(block: string[]): string[] {
    const at = block.findIndex((line) => /^\s+ports:/.test(line));
    if (at === -1) return [];
    const inline = (block[at] as string).match(/ports:\s*\[(.*)\]/);
    const list = block.slice(at + 1);
    const listEnd = list.findIndex((line) => !/^\s+-/.test(line));
    const entries = inline
      ? (inline[1] as string).split(',')
      : list.slice(0, listEnd === -1 ? undefined : listEnd).map((line) => line.replace(/^\s+-\s*/, ''));
    return entries.map((entry) => entry.trim().replace(/^["']|["']$/g, '')).filter((entry) => entry !== '');
  }

  it('publishes the Temporal UI on the loopback interface only', () => {
    const ports = publishedPorts(serviceBlock('temporal-ui'));
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('given the old file, the check would have caught it', () => {
    expect(publishedPorts(['    ports: ["8233:8080"]'])).toEqual(['8233:8080']);
    expect(publishedPorts(['    ports:', '      - "0.0.0.0:8233:8080"', '    depends_on: [temporal]'])).toEqual([
      '0.0.0.0:8233:8080',
    ]);
  });
});
