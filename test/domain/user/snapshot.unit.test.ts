import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../../domain/user/events.js';
import { decodeUserState, encodeUserState, USER_SNAPSHOT_VERSION } from '../../../domain/user/snapshot.js';
import { foldUserState, userStateFrom } from '../../../domain/user/state.js';
import { registered, usage, userEvent } from './given.js';

/**
 * The code of a TypeScript source without its comments and layout (TypeScript's own printer), so
 * that editing a comment does not ask for a new digest while any change to the code does.
 */
const codeOf = (text: string) =>
  ts
    .createPrinter({ removeComments: true })
    .printFile(ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));

const at = '2025-11-14T12:00:00.000Z';
/** Every kind of user event, so every part of the state is filled: the spend's open reservations are a Map. */
const history: UserEvent[] = [
  registered('premium'),
  ...usage(3, '2025-11-14T11:00:00.000Z'),
  userEvent('KeywordReplyCounted', { messageSid: 'SMk', keyword: 'HELP', at }),
  userEvent('RateLimitHit', { messageSid: 'SMr', window: 'minute', windowStart: at, retryAt: at, notify: true }),
  userEvent('ConversationTurnRecorded', { messageSid: 'SMc', question: 'q 🌍', answer: 'a\u202e\u0000"' }),
  userEvent('ReplyProgressRecorded', { messageSid: 'SMc', sentUpTo: 153, hasMore: true }),
  userEvent('UserProfileUpdated', { fullName: 'Zoë', preferences: { lang: 'he', nested: { n: [1, null] } } }),
  userEvent('SpendReserved', { messageSid: 'SMs1', usd: 0.002, at }),
  userEvent('SpendReserved', { messageSid: 'SMs2', usd: 0.003, at }),
  userEvent('SpendRecorded', { messageSid: 'SMs1', costUsd: 0.0015, at }),
  userEvent('SpendCapHit', {
    messageSid: 'SMs3',
    scope: 'user',
    window: 'day',
    capUsd: 1,
    windowStart: '2025-11-14T00:00:00.000Z',
    retryAt: '2025-11-15T00:00:00.000Z',
    notify: true,
  }),
  userEvent('ConversationTakenOver', { by: 'ops@example.com', reason: 'angry', until: '2025-11-14T13:00:00.000Z' }),
  userEvent('UserOptedOut', { source: 'keyword', messageSid: 'SMo' }),
];

describe('user state snapshot', () => {
  it('given a state with every part filled, then decoding its encoding gives it back', () => {
    const state = userStateFrom(history);
    expect(state.spend.open.size).toBe(1);
    expect(state.takeover).toBeDefined();
    expect(decodeUserState(encodeUserState(state))).toEqual(state);
  });

  it('given a snapshot at any point of the history, then folding on from it equals the full fold', () => {
    const full = userStateFrom(history);
    for (let split = 0; split <= history.length; split++) {
      const snapshot = decodeUserState(encodeUserState(userStateFrom(history.slice(0, split))));
      expect(foldUserState(snapshot, history.slice(split)), `split ${split}`).toEqual(full);
    }
  });

  it('names the fold it encodes: a change to the fold or the encoding bumps USER_SNAPSHOT_VERSION', () => {
    // Snapshots of one version are folded on by every reader of that version. If these files
    // changed in a way that can give another state for the same events, bump the version (old
    // snapshots are then ignored and taken again); either way, record the new digest here.
    const files = ['domain/user/state.ts', 'domain/user/spend.ts', 'domain/user/snapshot.ts'];
    const digest = createHash('sha256');
    for (const file of files) digest.update(codeOf(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8')));
    expect({ version: USER_SNAPSHOT_VERSION, digest: digest.digest('hex').slice(0, 16) }).toEqual({
      version: 'user-state/1',
      digest: '8bf10af97c750828',
    });
  });

  it('digests code, not comments or layout: a comment edit keeps the digest, a changed literal does not', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source holding a template literal
    const template = 'const t = `a // ${1} b`;';
    const code = `export const limit = (n: number) => n * 2; // doubled\n${template}\n`;
    expect(codeOf(`/** Twice n. */\nexport const limit = (n: number) =>\n  n * 2;\n${template}`)).toBe(codeOf(code));
    expect(codeOf(code.replace('n * 2', 'n * 3'))).not.toBe(codeOf(code));
    // A `//` inside a template literal is code, not a comment.
    expect(codeOf(code.replace('} b`', '} c`'))).not.toBe(codeOf(code));
  });
});
