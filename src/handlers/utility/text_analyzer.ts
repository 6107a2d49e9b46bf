import * as v from 'valibot';
import { defineHandler } from '../define.ts';

/**
 * Text metrics. Counting rules (so results can be checked by hand):
 * - characters: user-perceived characters (grapheme clusters, Intl.Segmenter);
 * - words: runs of letters/digits, with inner apostrophes and hyphens kept
 *   ("don't", "well-known" are one word each) and numbers whole ("3.5", "1,000");
 * - sentences: text split after ".", "!", "?" or "…" followed by a space, a
 *   closing quote/bracket or the end; a trailing fragment without punctuation
 *   counts too ("Dr. Smith" therefore counts as two);
 * - paragraphs: blocks separated by blank lines;
 * - syllables: an English heuristic (vowel groups, silent final "e", "-ed");
 *   Flesch scores inherit its error and only mean something for English.
 * Averages and readability scores are rounded to 2 decimals.
 */

const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['’-][\p{L}\p{M}\p{N}]+|(?<=\p{N})[.,]\p{N}+)*/gu;
// The lookbehind starts a match only at the first mark of a run: without it a long run of marks not followed by a
// space or the end ("a......x") is re-scanned from every position inside it, quadratic in the run's length.
const SENTENCE_END = /(?<![.!?…])[.!?…]+(?=[\s"'”’)\]]|$)/u;
const HAS_WORD = /[\p{L}\p{N}]/u;

/** A deliberately small list: function words that would otherwise top every count. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    "can could did do does doing don't down during each few for from further had has have having he her here hers herself " +
    "him himself his how i i'm if in into is isn't it it's its itself just let's me more most my myself no nor not now of " +
    'off on once only or other our ours ourselves out over own same she should so some such than that the their theirs ' +
    'them themselves then there these they this those through to too under until up very was we were what when where ' +
    'which while who whom why will with would you your yours yourself yourselves'
  ).split(' '),
);

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Characters that are a cluster of their own between two of their kind: their
 * Grapheme_Cluster_Break is Other or Control (never Extend, SpacingMark,
 * Prepend, ZWJ, a regional indicator or a Hangul jamo), so UAX #29 breaks on
 * both sides of each (GB999, GB4, GB5; none of GB6–GB9c, GB11–GB13 applies
 * without such a neighbour), except inside CR LF (GB3). ASCII, Latin-1 and
 * Latin Extended, Greek, Cyrillic, general punctuation (dashes, curly
 * quotes), CJK punctuation, kana, the unified ideographs, Hangul syllables,
 * full-width forms; test/handlers/text-analyzer-linear.test.ts checks every
 * one of them against Intl.Segmenter.
 */
export const PLAIN_CLASS =
  '\\0-\\u024f\\u0370-\\u03ff\\u0400-\\u0482\\u048a-\\u052f\\u2010-\\u2027\\u2030-\\u205e\\u3000-\\u3029\\u3030-\\u303f\\u3041-\\u3096\\u30a0-\\u30ff\\u4e00-\\u9fff\\uac00-\\ud7a3\\uff01-\\uff5e';
const NOT_PLAIN = new RegExp(`[^${PLAIN_CLASS}]`, 'g');
const PLAIN_PAIR = new RegExp(`[${PLAIN_CLASS}]{2}`, 'g');

/** What `\s` matches among the plain characters: ASCII whitespace, no-break space, ideographic space. */
function isPlainSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x3000;
}

/**
 * Grapheme clusters of `text`, and how many of them are not whitespace, in
 * time linear in its length. Iterating `Intl.Segmenter` over one long string
 * is quadratic in the V8 of Node 20 (each segment costs time proportional to
 * the whole string; crbug.com/326176949): measured here, 20 KB of words took
 * 0.1 s, 40 KB 0.6 s, and analyzeText on 98 KB of mixed text over two minutes.
 * So:
 * - runs of plain characters (PLAIN_CLASS) are counted directly, one cluster
 *   each (CR LF one);
 * - the rest goes through the segmenter from a known break to the next one:
 *   the next two plain characters (not CR LF), when that is near;
 * - a long stretch without (Devanagari, emoji, Zalgo text) goes through it a
 *   window at a time, starting at a known break: a window's clusters are the
 *   whole text's, except the last one, which the window's end may have cut (a
 *   break depends on the text before it and the one code point after it; a
 *   window never ends inside a surrogate pair), so that one is left to the
 *   next window.
 * The results are those of segmenting the whole string at once, which the
 * tests check on tricky text.
 */
export function countGraphemes(text: string, window = 256): { characters: number; nonSpace: number } {
  let characters = 0;
  let nonSpace = 0;
  const length = text.length;
  const notPlain = new RegExp(NOT_PLAIN);
  const plainPair = new RegExp(PLAIN_PAIR);
  let at = 0;
  let size = window;
  const count = (segment: string) => {
    characters += 1;
    if (!/^\s+$/u.test(segment)) nonSpace += 1;
  };
  while (at < length) {
    notPlain.lastIndex = at;
    const found = notPlain.exec(text);
    // The plain stretch ends one character before the next other one (which may be a mark joining it) and never inside CR LF.
    let end = found ? Math.max(at, found.index - 1) : length;
    if (found && end - 1 >= at && text.charCodeAt(end - 1) === 13 && text.charCodeAt(end) === 10) end -= 1;
    for (let i = at; i < end; i++) {
      const code = text.charCodeAt(i);
      characters += 1;
      if (code === 13 && i + 1 < end && text.charCodeAt(i + 1) === 10) i += 1;
      else if (!isPlainSpace(code)) nonSpace += 1;
    }
    at = end;
    if (!found) break;
    // The next sure break within a window's reach: between two plain characters that are not CR LF.
    let sure = -1;
    const from = found.index + 1;
    const reach = text.slice(from, Math.min(length, at + size + 1));
    plainPair.lastIndex = 0;
    for (let pair = plainPair.exec(reach); pair; pair = plainPair.exec(reach)) {
      if (reach.charCodeAt(pair.index) !== 13 || reach.charCodeAt(pair.index + 1) !== 10) {
        sure = from + pair.index + 1;
        break;
      }
      plainPair.lastIndex = pair.index + 1;
    }
    if (sure !== -1) {
      for (const { segment } of graphemes.segment(text.slice(at, sure))) count(segment);
      at = sure;
      continue;
    }
    let stop = Math.min(length, at + size);
    const last = text.charCodeAt(stop - 1);
    if (stop < length && last >= 0xd800 && last <= 0xdbff) stop += 1; // never end a window inside a surrogate pair
    let pending: string | undefined;
    let pendingIndex = 0;
    for (const { segment, index } of graphemes.segment(text.slice(at, stop))) {
      if (pending !== undefined) count(pending);
      pending = segment;
      pendingIndex = index;
    }
    if (stop === length) {
      count(pending!);
      break;
    }
    if (pendingIndex === 0) {
      size *= 2; // one cluster longer than the window (a letter under thousands of marks): widen and read it again
      continue;
    }
    at += pendingIndex;
    size = window;
  }
  return { characters, nonSpace };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export function countWords(text: string): string[] {
  return text.match(WORD) ?? [];
}

export function countSentences(text: string): number {
  return text.split(SENTENCE_END).filter((piece) => HAS_WORD.test(piece)).length;
}

/** Heuristic English syllable count of one word (at least 1). */
export function estimateSyllables(word: string): number {
  let letters = word
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z]/g, '');
  if (!letters) return 1;
  if (letters.length <= 3) return 1;
  letters = letters
    .replace(/(?:[^laeiouycghsxz]es|[^laeiouy]e)$/, '') // silent final e: "make", "takes" (not "prices", "boxes", "wishes")
    .replace(/([^td])ed$/, '$1') // "jumped" (but "wanted" keeps its syllable)
    .replace(/^y/, ''); // initial y is a consonant: "yes"
  return Math.max(1, letters.match(/[aeiouy]{1,2}/g)?.length ?? 0);
}

const Output = v.object({
  characters: v.pipe(v.number(), v.description('Characters as a reader sees them (grapheme clusters), whitespace included.')),
  charactersWithoutSpaces: v.number(),
  words: v.number(),
  uniqueWords: v.pipe(v.number(), v.description('Distinct words, case-insensitive.')),
  sentences: v.number(),
  paragraphs: v.pipe(v.number(), v.description('Blocks of text separated by blank lines.')),
  averageWordLength: v.pipe(v.nullable(v.number()), v.description('Characters per word; null without words.')),
  averageSentenceLength: v.pipe(v.nullable(v.number()), v.description('Words per sentence; null without sentences.')),
  syllables: v.pipe(v.number(), v.description('Estimated syllables (English heuristic).')),
  fleschReadingEase: v.pipe(
    v.nullable(v.number()),
    v.description('206.835 − 1.015 × words/sentence − 84.6 × syllables/word; higher is easier (60–70 ≈ plain English).'),
  ),
  fleschKincaidGrade: v.pipe(v.nullable(v.number()), v.description('0.39 × words/sentence + 11.8 × syllables/word − 15.59: approximate US school grade.')),
  topTerms: v.pipe(
    v.array(v.object({ term: v.string(), count: v.number() })),
    v.description('Most frequent words, lower-cased, without common English stopwords and numbers; ties alphabetical.'),
  ),
});

export type TextAnalysis = v.InferOutput<typeof Output>;

export function analyzeText(text: string, topTerms = 10): TextAnalysis {
  const { characters, nonSpace: charactersWithoutSpaces } = countGraphemes(text);
  const words = countWords(text);
  const lower = words.map((word) => word.toLowerCase().replace(/’/g, "'"));
  const sentences = words.length ? countSentences(text) : 0;
  const paragraphs = text.split(/\n[^\S\n]*\n/).filter((block) => /\S/.test(block)).length;
  // Every word's clusters at once (a segmenter per word costs microseconds each): a line feed always breaks (GB4, GB5).
  const letterCount = words.length ? countGraphemes(words.join('\n')).characters - (words.length - 1) : 0;
  const syllables = words.reduce((sum, word) => sum + estimateSyllables(word), 0);

  const counts = new Map<string, number>();
  for (const word of lower) {
    if (STOPWORDS.has(word) || /^[\p{N}.,'’-]+$/u.test(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, topTerms)
    .map(([term, count]) => ({ term, count }));

  const wordsPerSentence = sentences ? words.length / sentences : null;
  const syllablesPerWord = words.length ? syllables / words.length : null;
  return {
    characters,
    charactersWithoutSpaces,
    words: words.length,
    uniqueWords: new Set(lower).size,
    sentences,
    paragraphs,
    averageWordLength: words.length ? round2(letterCount / words.length) : null,
    averageSentenceLength: wordsPerSentence === null ? null : round2(wordsPerSentence),
    syllables,
    fleschReadingEase: wordsPerSentence === null || syllablesPerWord === null ? null : round2(206.835 - 1.015 * wordsPerSentence - 84.6 * syllablesPerWord),
    fleschKincaidGrade: wordsPerSentence === null || syllablesPerWord === null ? null : round2(0.39 * wordsPerSentence + 11.8 * syllablesPerWord - 15.59),
    topTerms: top,
  };
}

export const textAnalyzer = defineHandler({
  name: 'text_analyzer',
  title: 'Analyze text',
  description:
    'Measure a text: characters (with and without whitespace), words, unique words, sentences, paragraphs, average ' +
    'word and sentence length, estimated syllables, Flesch reading ease (higher = easier; 60–70 is plain English) and ' +
    'Flesch–Kincaid grade level, plus the most frequent terms (lower-cased, common English stopwords excluded). ' +
    'Syllables and readability use an English heuristic, so they are estimates and only meaningful for English text.',
  input: v.object({
    text: v.pipe(v.string(), v.maxLength(1_000_000, 'must be at most 1,000,000 characters'), v.description('The text to analyze.')),
    topTerms: v.optional(
      v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100), v.description('How many of the most frequent terms to list (0–100, default 10).')),
      10,
    ),
  }),
  output: Output,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  // CPU work proportional to the caller's input (up to the body limit): off the event loop, under a hard deadline.
  runs: 'worker',
  module: import.meta.url,
  run(input) {
    return analyzeText(input.text, input.topTerms);
  },
});
