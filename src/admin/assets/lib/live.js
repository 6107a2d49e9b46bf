// Live updates: GET /changes (server-sent events) of the registry, from any source (REST, psql, another replica).
import { serverBase } from './api.js';

const streams = new Map();
let indicator = () => {};

/** Called with 'live' | 'reconnecting' as the streams come and go (the corner status). */
export function onLiveState(fn) {
  indicator = fn;
}

/**
 * subscribe(serverId, fn): fn(event) for each `tools` event of that server's stream
 * ({ server, revision, created, updated, deleted }); serverId null: this page's own /changes
 * (the gateway's composed catalog, or this listener's server). Returns the unsubscribe function.
 */
export function subscribe(serverId, fn) {
  const base = serverId === null ? '' : serverBase(serverId);
  if (base === undefined) return () => {};
  const url = `${base}/changes`;
  let stream = streams.get(url);
  if (!stream) {
    const source = new EventSource(url, { withCredentials: true });
    stream = { source, listeners: new Set() };
    source.addEventListener('tools', (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      for (const listener of stream.listeners) listener(data);
    });
    source.addEventListener('open', () => indicator('live'));
    source.addEventListener('error', () => indicator(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
    streams.set(url, stream);
  }
  stream.listeners.add(fn);
  return () => {
    stream.listeners.delete(fn);
    if (stream.listeners.size === 0) {
      stream.source.close();
      streams.delete(url);
    }
  };
}

/** Close every stream (sign-out). */
export function closeAll() {
  for (const stream of streams.values()) stream.source.close();
  streams.clear();
}

/** Run fn at most once per `ms` while events keep coming (a burst of changes is one refresh). */
export function debounce(fn, ms = 150) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
