import type { Position } from '@kurrent/kurrentdb-client';
import type { Checkpoint } from '../port.js';

/** A KurrentDB checkpoint is the event's `<commit>/<prepare>` position in the transaction log. */
export const encodePosition = (p: Position): Checkpoint => `${p.commit}/${p.prepare}`;

export function decodePosition(checkpoint: Checkpoint): Position {
  const match = /^(\d{1,20})\/(\d{1,20})$/.exec(checkpoint);
  if (!match) throw new TypeError(`Not a KurrentDB checkpoint: ${JSON.stringify(checkpoint)}`);
  return { commit: BigInt(match[1] as string), prepare: BigInt(match[2] as string) };
}

export const samePosition = (a: Position | undefined, b: Position) =>
  a !== undefined && a.commit === b.commit && a.prepare === b.prepare;
