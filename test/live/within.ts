/** Poll until `check` returns a value (not undefined) or `ms` pass. */
export async function within<T>(ms: number, check: () => Promise<T | undefined>, what = 'condition'): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
