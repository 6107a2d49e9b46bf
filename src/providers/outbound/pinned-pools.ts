/**
 * Connection pools pinned to a checked address. One undici Pool per
 * (origin, address): its `connect.lookup` answers with that address only, so
 * a connection can never reach anything but the address that was checked —
 * there is no second DNS lookup to rebind. The origin stays the URL's, so the
 * Host header and TLS SNI are the host name. Least recently used pools are
 * closed beyond a fixed number.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { Pool } from 'undici';

/** undici, loaded on the first outbound request: ~135 ms of start-up a process without http tools should not pay. */
let undici: Promise<typeof import('undici')> | undefined;
let loaded: typeof import('undici') | undefined;

const MAX_POOLS = 64;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net/tls.connect that always answers `address`. */
export function pinnedLookup(address: string, family: 4 | 6) {
  return (_hostName: string, options: LookupOptions, callback: LookupCallback): void => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

export class PinnedPools {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  /** The pool for `origin` whose connections go to `address` (at once once undici is loaded). */
  get(origin: string, address: string, family: 4 | 6): Pool | Promise<Pool> {
    if (this.closed) throw new Error('the outbound HTTP client is closed');
    if (loaded) return this.pick(loaded.Pool, origin, address, family);
    undici ??= import('undici').then((module) => {
      loaded = module;
      return module;
    });
    return undici.then((module) => this.pick(module.Pool, origin, address, family));
  }

  private pick(Pool: typeof import('undici').Pool, origin: string, address: string, family: 4 | 6): Pool {
    if (this.closed) throw new Error('the outbound HTTP client is closed');
    const key = `${origin} ${address}`;
    let pool = this.pools.get(key);
    if (pool) {
      this.pools.delete(key);
    } else {
      pool = new Pool(origin, { connect: { lookup: pinnedLookup(address, family) as never } });
      while (this.pools.size >= MAX_POOLS) {
        const [oldestKey, oldest] = this.pools.entries().next().value as [string, Pool];
        this.pools.delete(oldestKey);
        void oldest.close().catch(() => undefined);
      }
    }
    this.pools.set(key, pool);
    return pool;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => undefined)));
  }
}
