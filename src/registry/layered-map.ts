/**
 * An immutable map made of a base map and a small layer of changes on top
 * (a value, or undefined for a removal). Copying a 10,000-entry Map costs
 * ~8 ms here (measured: tmp bench of patchSnapshot), which made every write
 * to a large registry slow; a layer costs O(changes), and the layers are
 * flattened into a fresh base once they hold FLATTEN_AT changes, so reads stay
 * two lookups at most and a write's cost does not grow with the registry.
 */
const FLATTEN_AT = 256;

export class LayeredMap<V> implements ReadonlyMap<string, V> {
  readonly size: number;

  private constructor(
    private readonly base: ReadonlyMap<string, V>,
    private readonly layer: ReadonlyMap<string, V | undefined>,
    size: number,
  ) {
    this.size = size;
  }

  static of<V>(map: ReadonlyMap<string, V>): LayeredMap<V> {
    return map instanceof LayeredMap ? map : new LayeredMap(map, new Map(), map.size);
  }

  /** A new map with `changes` applied (undefined removes the key). */
  with(changes: ReadonlyMap<string, V | undefined>): LayeredMap<V> {
    let size = this.size;
    for (const [key, value] of changes) {
      const had = this.has(key);
      if (value === undefined && had) size--;
      else if (value !== undefined && !had) size++;
    }
    const layer = new Map(this.layer);
    for (const [key, value] of changes) layer.set(key, value);
    if (layer.size < FLATTEN_AT) return new LayeredMap(this.base, layer, size);
    const flat = new Map<string, V>();
    for (const [key, value] of this.base) if (!layer.has(key)) flat.set(key, value);
    for (const [key, value] of layer) if (value !== undefined) flat.set(key, value);
    return new LayeredMap(flat, new Map(), flat.size);
  }

  get(key: string): V | undefined {
    if (this.layer.has(key)) return this.layer.get(key);
    return this.base.get(key);
  }

  has(key: string): boolean {
    if (this.layer.has(key)) return this.layer.get(key) !== undefined;
    return this.base.has(key);
  }

  *entries(): MapIterator<[string, V]> {
    for (const [key, value] of this.base) if (!this.layer.has(key)) yield [key, value];
    for (const [key, value] of this.layer) if (value !== undefined) yield [key, value];
  }

  *keys(): MapIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}
