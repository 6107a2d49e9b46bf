import type { Context } from 'hono';
import { AppError } from '../errors.ts';

/**
 * Read a JSON body whatever the Content-Type says (curl -d sends
 * form-encoding by default), with a clear error for empty or malformed JSON.
 */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new AppError('bad_request', 'The request body is empty: send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('bad_request', `Malformed JSON body: ${(error as Error).message}`, {
      details: [{ path: '/', message: 'not valid JSON' }],
    });
  }
}
