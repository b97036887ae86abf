import { describe, expect, it } from 'vitest';
import { composeSms, splitPhoneList } from '../../dashboard/src/lib/broadcasts/compose.js';
import { estimateBroadcast } from '../../domain/broadcast/estimate.js';

// The dry run's figures come from estimateBroadcast (POST /api/broadcasts?dryRun=true): the page's
// live counter must say the same for every kind of text.
const TEXTS = [
  '',
  'Hello',
  'a'.repeat(160),
  'a'.repeat(161),
  'b'.repeat(306),
  'b'.repeat(307),
  'Price €5 {today} only [sale] ~ ^ | \\',
  '€'.repeat(80),
  '€'.repeat(81),
  'Bonne année 🎉 Merci de votre fidélité !',
  'é'.repeat(70),
  'Ω'.repeat(71),
  '🎉'.repeat(35),
  '🎉'.repeat(36),
  `${'Our service gets faster answers and a new number from Monday. '.repeat(3)}Reply STOP to opt out.`,
  'Line one\nLine two\r\nLine three',
  'Smart “quotes” and … ellipsis',
];

describe('the broadcast composer counter', () => {
  it.each(TEXTS.map((t) => [t.slice(0, 30), t]))('agrees with the dry run on %j', (_, text) => {
    const counter = composeSms(text);
    const dryRun = estimateBroadcast(text, 10, 1);
    expect({ encoding: counter.encoding, characters: counter.characters, segments: counter.segments }).toEqual({
      encoding: dryRun.encoding,
      characters: dryRun.characters,
      segments: dryRun.segmentsPerMessage,
    });
  });

  it('given GSM-7 text, then 160 fit one segment and a split message holds 153 a part', () => {
    expect(composeSms('a'.repeat(160))).toMatchObject({ segments: 1, perSegment: 160, leftInSegment: 0 });
    expect(composeSms('a'.repeat(161))).toMatchObject({ segments: 2, perSegment: 153, leftInSegment: 145 });
  });

  it('given an emoji, then the text is UCS-2 at 70 (67 a part) and the composer names the character', () => {
    const counter = composeSms('Happy new year 🎉 from us, é');
    expect(counter).toMatchObject({ encoding: 'UCS-2', segments: 1, perSegment: 70 });
    expect(counter.nonGsm).toEqual(['🎉']);
    // é is GSM-7 (basic table) on its own; it does not force UCS-2
    expect(composeSms('café').encoding).toBe('GSM-7');
    expect(composeSms(`${'x'.repeat(71)}🎉`).perSegment).toBe(67);
    // Greek capitals such as Ω are in the GSM-7 basic table
    expect(composeSms('Ω'.repeat(160)).encoding).toBe('GSM-7');
  });

  it('a pasted list splits on lines, commas and semicolons, drops blanks and repeats', () => {
    expect(splitPhoneList('+14155550101\n +14155550102 ,+14155550101;;\n\n(415) 555-0103')).toEqual([
      '+14155550101',
      '+14155550102',
      '(415) 555-0103',
    ]);
    expect(splitPhoneList('  \n ')).toEqual([]);
  });
});
