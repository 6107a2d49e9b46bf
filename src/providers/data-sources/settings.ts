/**
 * SET LOCAL of the statement timeout and the call's settings
 * (`toolport.server`, `toolport.tool`, `toolport.caller`) as one statement of
 * set_config(name, value, is_local => true) calls with bound parameters: SET
 * takes no parameters, and the values (a caller's identity) must never be
 * spliced into SQL text.
 */

/** Setting names: a custom `prefix.name` (or a plain GUC), letters, digits, _ and one dot. */
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export function settingsStatement(statementTimeoutMs: number, settings: Record<string, string>): { text: string; params: string[] } {
  const pairs: [string, string][] = [['statement_timeout', String(Math.max(0, Math.floor(statementTimeoutMs)))]];
  for (const [name, value] of Object.entries(settings)) {
    if (!SETTING_NAME.test(name)) throw new Error(`setting name ${JSON.stringify(name)} is not a valid name (prefix.name)`);
    pairs.push([name, value]);
  }
  const calls = pairs.map((_, index) => `pg_catalog.set_config($${2 * index + 1}, $${2 * index + 2}, true)`);
  return { text: `SELECT ${calls.join(', ')}`, params: pairs.flat() };
}
