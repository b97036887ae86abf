/**
 * A seeded PRNG (mulberry32): the soak and the fuzz test draw their faults and inputs from it, so
 * a failing run can be repeated with the same seed. Math.random cannot be seeded.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Rng {
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `n` characters drawn from `alphabet`. */
  string(n: number, alphabet?: string): string;
}

const PRINTABLE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-_=&%?/.,;:!@#$^*()[]{}<>"\'\\|~`';

export function rng(seed: number): Rng {
  const next = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(0, items.length - 1)] as (typeof items)[number],
    string: (n, alphabet = PRINTABLE) => {
      let out = '';
      for (let i = 0; i < n; i++) out += alphabet[int(0, alphabet.length - 1)];
      return out;
    },
  };
}
