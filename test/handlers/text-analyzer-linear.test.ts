import { describe, expect, it } from 'vitest';
import { analyzeText, countGraphemes, countSentences, countWords, PLAIN_CLASS } from '../../src/handlers/utility/text_analyzer.ts';

/**
 * text_analyzer counts in linear time (ASCII runs directly, the rest through
 * Intl.Segmenter a short window at a time, sentence ends without
 * re-scanning runs of marks). These tests pin that its answers are the ones
 * of the straightforward, quadratic way: one segmenter over the whole text,
 * one per word, the old sentence pattern. Speed is measured by the bench, not here.
 */

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

function wholeText(text: string): { characters: number; nonSpace: number } {
  let characters = 0;
  let nonSpace = 0;
  for (const { segment } of segmenter.segment(text)) {
    characters += 1;
    if (!/^\s+$/u.test(segment)) nonSpace += 1;
  }
  return { characters, nonSpace };
}

// Everything that makes cluster boundaries depend on context: CR LF, combining marks, ZWJ emoji sequences,
// skin tones, flags (regional indicator pairs), keycaps, Hangul jamo, Indic conjuncts, Thai, Prepend, lone surrogates.
const ATOMS = [
  'word',
  "don't",
  '3.5',
  '1,000',
  '...',
  '!',
  '?',
  '…',
  '"',
  ')',
  '\n\n',
  'Dr.',
  'well-known',
  'café',
  'straße',
  'a',
  ' ',
  '\r',
  '\n',
  '\r\n',
  '\t',
  'é',
  'e\u0301',
  '\u0301',
  '👍',
  '👍🏽',
  '👨‍👩‍👧',
  '\u200d',
  '🇫🇷',
  '🇩',
  '\ud83d',
  '\udc4d',
  'क्ष',
  'क',
  '्',
  'ष',
  '한',
  '\u1100',
  '\u1161',
  '\u11a8',
  '中',
  '。',
  '\u0600',
  '\u00a0',
  '\u2003',
  '’',
  '—',
  '\u0e33',
  'ก',
  'x\u20e3',
  '#\ufe0f\u20e3',
  '\ufeff',
  'Z\u0351\u0352\u0353\u0354',
  // The edges of the plain ranges, and what lies just outside them.
  '\u00ad',
  '©',
  '\u024f',
  '\u0250',
  'Ω',
  'ж',
  '\u0482',
  '\u0483',
  '\u048a',
  '“',
  '”',
  '\u2027',
  '\u2028',
  '\u205e',
  '\u205f',
  '\u3000',
  '\u3029',
  '\u302a',
  'か',
  '\u3099',
  'カ',
  '가',
  '\ud7a3',
  '\uff01',
  '\uff9e',
];

/** A deterministic stream of mixed texts (a linear congruential generator, so a failure can be replayed). */
function* texts(count: number, maxAtoms: number): Generator<string> {
  let seed = 20261201;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < count; i++) {
    let text = '';
    const atoms = Math.floor(next() * maxAtoms);
    for (let j = 0; j < atoms; j++) text += ATOMS[Math.floor(next() * ATOMS.length)];
    yield text;
  }
}

describe('countGraphemes', () => {
  it('equals one segmenter over the whole text, for every window size, on 2,000 mixed texts', () => {
    for (const text of texts(2000, 120)) {
      const expected = wholeText(text);
      for (const window of [1, 2, 3, 7, 256]) expect(countGraphemes(text, window), JSON.stringify(text)).toEqual(expected);
    }
  });

  it('every plain character is a cluster of its own between plain neighbours (checked against Intl.Segmenter)', () => {
    const plain = new RegExp(`^[${PLAIN_CLASS}]$`);
    const clusters = (text: string) => [...segmenter.segment(text)].length;
    let checked = 0;
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      if (!plain.test(c) || c === '\r' || c === '\n') continue;
      // Not Extend, SpacingMark, ZWJ or Prepend (it would join a neighbour), not a Hangul L, V or T jamo.
      if (clusters(`a${c}a`) !== 3 || clusters(`가${c}`) !== 2 || clusters(`${c}가`) !== 2) throw new Error(`U+${code.toString(16)} is not plain`);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(33_000);
  });

  it('handles clusters longer than the window, CR LF on every boundary, and pure ASCII', () => {
    const long = `a${'\u0301'.repeat(3000)}b c`;
    expect(countGraphemes(long, 4)).toEqual(wholeText(long));
    const crlf = 'é\r\n'.repeat(50) + '\r\n\r\n' + 'x\r\né';
    for (const window of [1, 2, 3, 4]) expect(countGraphemes(crlf, window)).toEqual(wholeText(crlf));
    expect(countGraphemes('word '.repeat(1000))).toEqual({ characters: 5000, nonSpace: 4000 });
    expect(countGraphemes('')).toEqual({ characters: 0, nonSpace: 0 });
  });
});

describe('analyzeText, computed the linear way', () => {
  const OLD_SENTENCE_END = /[.!?…]+(?=[\s"'”’)\]]|$)/u;

  it('word lengths are those of a segmenter per word', () => {
    for (const text of texts(300, 200)) {
      const words = countWords(text);
      const perWord = words.reduce((sum, word) => sum + [...segmenter.segment(word)].length, 0);
      const expected = words.length ? Math.round((perWord / words.length) * 100) / 100 : null;
      expect(analyzeText(text).averageWordLength, JSON.stringify(text)).toBe(expected);
    }
  });

  it('sentences split where the old pattern split, runs of marks included', () => {
    const marks = ['.', '!', '?', '…', 'a', ' ', '"', ')', 'x', '\n'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      let text = '';
      for (let j = Math.floor(next() * 40); j > 0; j--) text += marks[Math.floor(next() * marks.length)];
      const expected = text.split(OLD_SENTENCE_END).filter((piece) => /[\p{L}\p{N}]/u.test(piece)).length;
      expect(countSentences(text), JSON.stringify(text)).toBe(expected);
    }
    expect(countSentences(`a${'.'.repeat(100_000)}x`)).toBe(1);
    expect(countSentences(`Wait${'.'.repeat(100_000)} what?`)).toBe(2);
  });
});
