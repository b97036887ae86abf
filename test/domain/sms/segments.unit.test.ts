import { SegmentedMessage } from 'sms-segments-calculator';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MORE_HINT, fitToBudget, measure, normalizeReply } from '../../../domain/sms/segments.js';

describe('measure', () => {
  it('given plain text, then GSM-7 holds 160 in one segment and 153 per part beyond', () => {
    expect(measure('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(measure('a'.repeat(161)).segments).toBe(2);
    expect(measure('a'.repeat(306)).segments).toBe(2);
    expect(measure('a'.repeat(307)).segments).toBe(3);
  });

  it('given extended GSM characters, then each counts two', () => {
    expect(measure('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(measure('€'.repeat(81)).segments).toBe(2);
  });

  it('given one non-GSM character, then the whole text is UCS-2 with 70/67', () => {
    expect(measure('ç'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70 });
    expect(measure('ç'.repeat(71)).segments).toBe(2);
    expect(measure('ç'.repeat(134)).segments).toBe(2);
    expect(measure('ç'.repeat(135)).segments).toBe(3);
    expect(measure('hi 😀')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 5 });
  });

  it('given any mix of characters, then it agrees with sms-segments-calculator (the fast path included)', () => {
    // Plain GSM-7 takes the fast path; the extension table, accents that force UCS-2 and emoji do not.
    const alphabet = ['a', 'Z', '7', ' ', '.', '\n', '@', '£', 'é', 'Ä', '_', '€', '{', '^', 'ç', 'ł', '😀', '”', '\t'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 400; round++) {
      const length = [0, 1, 70, 153, 159, 160, 161, 306, 307, 480][round % 10]! + (next() % 3);
      const pool = round % 4 === 0 ? alphabet : alphabet.slice(0, 11); // every 4th may leave plain GSM-7
      const text = Array.from({ length }, () => pool[next() % pool.length]).join('');
      const library = new SegmentedMessage(text);
      const ours = measure(text);
      expect({ text, ours }).toEqual({
        text,
        ours: {
          encoding: library.encodingName,
          segments: library.segmentsCount,
          characters: library.encodingName === 'GSM-7' ? library.numberOfCharacters : text.length,
        },
      });
    }
  });
});

const sentences = (n: number) =>
  Array.from({ length: n }, (_, i) => `Sentence number ${i + 1} says something useful.`).join(' ');

describe('fitToBudget', () => {
  it('given a text that fits, then it is sent whole with nothing more', () => {
    expect(fitToBudget('Short answer.', { maxSegments: 1 })).toEqual({
      part: 'Short answer.',
      nextOffset: 13,
      hasMore: false,
    });
  });

  it('given a long text, when cut, then the part with the hint fits and ends at a sentence', () => {
    const text = sentences(30);
    const { part, nextOffset, hasMore } = fitToBudget(text, { maxSegments: 2 });
    expect(hasMore).toBe(true);
    expect(measure(part).segments).toBeLessThanOrEqual(2);
    expect(part.endsWith(`useful.${DEFAULT_MORE_HINT}`)).toBe(true);
    expect(text[nextOffset]).toBe('S');
    expect(text.slice(0, nextOffset).trimEnd()).toBe(part.slice(0, -DEFAULT_MORE_HINT.length));
  });

  it('given parts sent one after another, then together they give back the whole text', () => {
    const text = sentences(40);
    const parts: string[] = [];
    let offset = 0;
    for (let guard = 0; guard < 50; guard++) {
      const fitted = fitToBudget(text, { fromOffset: offset, maxSegments: 3 });
      expect(measure(fitted.part).segments).toBeLessThanOrEqual(3);
      parts.push(fitted.hasMore ? fitted.part.slice(0, -DEFAULT_MORE_HINT.length) : fitted.part);
      offset = fitted.nextOffset;
      if (!fitted.hasMore) break;
    }
    expect(offset).toBe(text.length);
    expect(parts.join(' ')).toBe(text);
  });

  it('given no sentence end in reach, then it cuts at a word and marks the cut with ...', () => {
    const text = 'word '.repeat(100).trim();
    const { part, nextOffset } = fitToBudget(text, { maxSegments: 1 });
    expect(part).toMatch(/word\.\.\.\n\(Text MORE for the rest\)$/);
    expect(measure(part).segments).toBe(1);
    expect(text.slice(nextOffset).startsWith('word')).toBe(true);
  });

  it('given one endless word, then it cuts hard', () => {
    const text = 'x'.repeat(500);
    const { part, nextOffset, hasMore } = fitToBudget(text, { maxSegments: 1 });
    expect(measure(part)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(part.startsWith('x'.repeat(100))).toBe(true);
    expect(hasMore).toBe(true);
    expect(nextOffset).toBe(part.indexOf('.'));
  });

  it('given emoji, then no surrogate pair or emoji sequence is split', () => {
    const text = '😀👨‍👩‍👧'.repeat(60);
    let offset = 0;
    while (offset < text.length) {
      const fitted = fitToBudget(text, { fromOffset: offset, maxSegments: 2 });
      expect(measure(fitted.part).segments).toBeLessThanOrEqual(2);
      expect(fitted.part).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u);
      expect(text.slice(offset, fitted.nextOffset)).toMatch(/^(😀|👨‍👩‍👧)+$/u);
      offset = fitted.nextOffset;
    }
  });

  it('given a GSM-7 text, when the hint is not GSM-7, then the UCS-2 room it forces is counted', () => {
    const text = sentences(10);
    const gsm = fitToBudget(text, { maxSegments: 1 });
    const ucs = fitToBudget(text, { maxSegments: 1, moreHint: ' … MORE' });
    expect(measure(ucs.part)).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(ucs.nextOffset).toBeLessThan(gsm.nextOffset);
  });

  it('given a hint that cannot fit, then it refuses', () => {
    expect(() => fitToBudget('a'.repeat(400), { maxSegments: 1, moreHint: 'b'.repeat(200) })).toThrow(RangeError);
  });
});

describe('normalizeReply', () => {
  it('given markdown, then it reads as plain SMS text', () => {
    const reply = [
      '# Answer',
      '',
      '',
      '',
      'Use **map** and `filter`:',
      '```js',
      'xs.map((x) => x * 2)',
      '```',
      '* one',
      '* two',
      'See [the docs](https://example.com).   ',
    ].join('\n');
    expect(normalizeReply(reply)).toBe(
      'Answer\n\nUse map and filter:\n\nxs.map((x) => x * 2)\n\n- one\n- two\nSee the docs (https://example.com).',
    );
  });

  it('given typographic punctuation, then it becomes GSM-7', () => {
    const reply = normalizeReply('It’s “quoted” — and… done');
    expect(reply).toBe('It\'s "quoted" - and... done');
    expect(measure(reply).encoding).toBe('GSM-7');
  });
});

describe('fitToBudget on hostile model output', () => {
  it('given a grapheme longer than the whole budget (a letter under 1,000 combining marks), then it is cut between code points, never throws, and every part fits', () => {
    const text = `a${'\u0301'.repeat(1000)} world`;
    const parts: string[] = [];
    let offset = 0;
    for (let guard = 0; guard < 20; guard++) {
      const fitted = fitToBudget(text, { maxSegments: 3, fromOffset: offset });
      parts.push(fitted.part);
      expect(measure(fitted.part).segments).toBeLessThanOrEqual(3);
      if (!fitted.hasMore) break;
      expect(fitted.nextOffset).toBeGreaterThan(offset);
      offset = fitted.nextOffset;
    }
    expect(parts.at(-1)).toContain('world');
  });

  it('given long runs of combining marks, emoji sequences and RTL text mixed, then each part fits and no surrogate pair is split', () => {
    const text = `${'שלום '.repeat(40)}${'👨‍👩‍👧‍👦'.repeat(30)} ${'e\u0300\u0301\u0302'.repeat(60)} ${'Z\u0334'.repeat(200)}`;
    let offset = 0;
    for (let guard = 0; guard < 50; guard++) {
      const fitted = fitToBudget(text, { maxSegments: 2, fromOffset: offset });
      expect(measure(fitted.part).segments).toBeLessThanOrEqual(2);
      expect(fitted.part).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      if (!fitted.hasMore) return;
      offset = fitted.nextOffset;
    }
    throw new Error('never reached the end of the text');
  });
});
