import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { termOf, textWords } from '../../src/registry/tool-search-terms.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

/** Texts of the kind tool descriptions are made of: plurals, verb forms, stop words, digits. */
const TEXTS = [
  'Get the latest stock price for a ticker symbol',
  'Calculates the total value and gains of a portfolio of positions',
  'Lists running shipments, invoices and orders that are being tracked',
  'Searches the financial news headlines published today about companies',
  'Converts temperatures between units: Celsius, Fahrenheit and Kelvin in 2024',
  'Analyzes texts: counting words, sentences, syllables and readability',
];

/** The terms tool search indexes for a text are the lexemes PostgreSQL's `english` configuration makes of it. */
describe.each(backends)('tool search terms = to_tsvector(english) lexemes (%s)', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.each(TEXTS)('%s', async (text) => {
    const result = (await db.database.query(
      `SELECT word FROM unnest(tsvector_to_array(to_tsvector('english', '${text.replace(/'/g, "''")}'))) AS word`,
    )) as unknown as { rows: { word: string }[] } | { word: string }[];
    const rows = Array.isArray(result) ? result : result.rows;
    const postgres = new Set(rows.map((row) => row.word));
    const ours = new Set(textWords(text).flatMap((word) => termOf(word) ?? []));
    expect([...ours].sort()).toEqual([...postgres].sort());
  });
});
