// Live updates: GET /changes (server-sent events) of the registry, from any source (REST, psql, another replica).
import { serverBase } from './api.js';

const streams = new Map();
let indicator = () => {};

/** Called with 'live' | 'reconnecting' as the streams come and go (the corner status). */
export function onLiveState(fn) {
  indicator = fn;
}

/**
 * subscribe(serverId, fn, event): fn(data) for each `event` of that server's stream — `tools`
 * (the default: { server, revision, created, updated, deleted }) or `servers` ({ servers: [ids] | 'all' },
 * servers rows this process applied); serverId null: this page's own /changes (the gateway's
 * composed catalog, or this listener's server). Returns the unsubscribe function.
 */
export function subscribe(serverId, fn, event = 'tools') {
  const base = serverId === null ? '' : serverBase(serverId);
  if (base === undefined) return () => {};
  const url = `${base}/changes`;
  let stream = streams.get(url);
  if (!stream) {
    const source = new EventSource(url, { withCredentials: true });
    stream = { source, listeners: new Map() };
    source.addEventListener('open', () => indicator('live'));
    source.addEventListener('error', () => indicator(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
    streams.set(url, stream);
  }
  let listeners = stream.listeners.get(event);
  if (!listeners) {
    listeners = new Set();
    stream.listeners.set(event, listeners);
    const heard = listeners;
    stream.source.addEventListener(event, (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      for (const listener of heard) listener(data);
    });
  }
  listeners.add(fn);
  return () => {
    if (!listeners.delete(fn)) return;
    if ([...stream.listeners.values()].every((set) => set.size === 0)) {
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
