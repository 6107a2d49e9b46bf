import { stem } from 'porter2';

/**
 * How tool search turns text into terms, following PostgreSQL's `english`
 * text search configuration: lower-case, drop the words of its stop list
 * (tsearch_data/english.stop, below), stem the rest with the Snowball
 * English stemmer (porter2, the algorithm of Postgres's english_stem).
 * Words with digits are kept as they are, as Postgres's parser hands them
 * to the `simple` dictionary (numword, int tokens) instead of the stemmer.
 */

/** PostgreSQL's english.stop (the Snowball list), 127 words, as shipped with PostgreSQL 15. */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself ' +
    'it its itself they them their theirs themselves what which who whom this that these those am is are was were be ' +
    'been being have has had having do does did doing a an the and but if or because as until while of at by for with ' +
    'about against between into through during before after above below to from up down in out on off over under again ' +
    'further then once here there when where why how all any both each few more most other some such no nor not only ' +
    'own same so than too very s t can will just don should now'
  ).split(' '),
);

const WORD_SEPARATORS = /[^\p{L}\p{N}]+/u;
/** A lower→upper step (getStock), or the end of an upper-case run before a capitalised word (HTTPStatus). */
const CAMEL_BOUNDARY = /(?<=[\p{Ll}\p{N}])(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/u;
const HAS_DIGIT = /\p{N}/u;

/** Words of free text (titles, descriptions, queries): split on everything but letters and digits. */
export function textWords(text: string): string[] {
  return text.split(WORD_SEPARATORS).filter((word) => word.length > 0);
}

/** Words of a tool name: split on `_`, `-`, `.` (and any other non-alphanumeric) and on camelCase steps. */
export function nameWords(name: string): string[] {
  return textWords(name).flatMap((word) => word.split(CAMEL_BOUNDARY));
}

/** The indexed term of one word, or null for a stop word. */
export function termOf(word: string): string | null {
  const lower = word.toLowerCase();
  if (ENGLISH_STOP_WORDS.has(lower)) return null;
  return HAS_DIGIT.test(lower) ? lower : stem(lower);
}
