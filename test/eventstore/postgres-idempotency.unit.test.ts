import { describe, expect, it } from 'vitest';
import { eventStoreKind } from '../../eventstore/index.js';
import { decideRetry } from '../../eventstore/postgres/append.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../eventstore/postgres/checkpoint.js';

const stored = (entries: [string, string, bigint][]) =>
  new Map(entries.map(([id, stream, revision]) => [id, { stream, revision }]));

describe('deciding what a rejected append was', () => {
  it('given none of the ids stored, then it is a revision conflict', () => {
    expect(decideRetry('s', ['a'], 0n, new Map())).toEqual({ kind: 'conflict' });
  });

  it('given the same ids in order at the expected place, then it is a no-op', () => {
    const existing = stored([
      ['a', 's', 3n],
      ['b', 's', 4n],
    ]);
    expect(decideRetry('s', ['a', 'b'], 2n, existing)).toEqual({ kind: 'noop', lastRevision: 4n });
    expect(decideRetry('s', ['a', 'b'], 1n, existing)).toEqual({ kind: 'conflict' });
    expect(decideRetry('s', ['b', 'a'], 2n, existing)).toEqual({ kind: 'conflict' });
  });

  it('given no_stream and the ids at revisions 0.., then it is a no-op', () => {
    const existing = stored([['a', 's', 0n]]);
    expect(decideRetry('s', ['a'], 'no_stream', existing)).toEqual({ kind: 'noop', lastRevision: 0n });
  });

  it('given any, then ids already in the stream are a no-op wherever they are', () => {
    const existing = stored([
      ['a', 's', 7n],
      ['b', 's', 2n],
    ]);
    expect(decideRetry('s', ['a', 'b'], 'any', existing)).toEqual({ kind: 'noop', lastRevision: 7n });
  });

  it('given an id stored in another stream, or only some ids stored, then it is a duplicate', () => {
    expect(decideRetry('s', ['a'], 'any', stored([['a', 'other', 0n]]))).toEqual({ kind: 'duplicate', eventId: 'a' });
    expect(decideRetry('s', ['a', 'b'], 'any', stored([['b', 's', 0n]]))).toEqual({ kind: 'duplicate', eventId: 'b' });
  });
});

describe('checkpoints and URLs', () => {
  it('round-trips a PostgreSQL checkpoint and rejects anything else', () => {
    const p = { transactionId: '18446744073709551615', position: '42' };
    expect(decodeCheckpoint(encodeCheckpoint(p))).toEqual(p);
    expect(() => decodeCheckpoint('12/34')).toThrow(TypeError);
  });

  it('picks the adapter from the URL scheme', () => {
    expect(eventStoreKind('postgres://u@h/db')).toBe('postgres');
    expect(eventStoreKind('postgresql://u@h/db')).toBe('postgres');
    expect(eventStoreKind('kurrentdb://h:2113?tls=false')).toBe('kurrentdb');
    expect(eventStoreKind('esdb://h:2113')).toBe('kurrentdb');
    expect(eventStoreKind('kdb+discover://h:2113')).toBe('kurrentdb');
    expect(() => eventStoreKind('mysql://h/db')).toThrow(/Unsupported/);
  });
});
