/**
 * A Map of at most `maxEntries`, the least recently used dropped first (a
 * Map keeps insertion order: a hit is moved to the end, the first key is the
 * oldest). For the process-wide caches of compiled things: validators by
 * schema, patterns, Intl formatters by zone.
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly maxEntries: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
  }

  get size(): number {
    return this.entries.size;
  }
}
