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
const SENTENCE_END = /[.!?…]+(?=[\s"'”’)\]]|$)/u;
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
  let characters = 0;
  let charactersWithoutSpaces = 0;
  for (const { segment } of graphemes.segment(text)) {
    characters += 1;
    if (!/^\s+$/u.test(segment)) charactersWithoutSpaces += 1;
  }
  const words = countWords(text);
  const lower = words.map((word) => word.toLowerCase().replace(/’/g, "'"));
  const sentences = words.length ? countSentences(text) : 0;
  const paragraphs = text.split(/\n[^\S\n]*\n/).filter((block) => /\S/.test(block)).length;
  const letterCount = words.reduce((sum, word) => sum + [...graphemes.segment(word)].length, 0);
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
  run(input) {
    return analyzeText(input.text, input.topTerms);
  },
});
