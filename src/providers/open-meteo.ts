import { endpoint, getJson, isRecord, toNumber, UpstreamError } from './http.ts';
import type { ProviderCallOptions, WeatherProvider, WeatherReport } from './types.ts';
import { describeWeatherCode } from './wmo.ts';

/**
 * Open-Meteo (https://open-meteo.com/en/docs): the geocoding API turns a place
 * name into coordinates, the forecast API's `current=` block gives the
 * conditions there. Neither needs a key. Errors come as HTTP 400 with
 * {"error": true, "reason": "…"}, which getJson quotes.
 */

export const OPEN_METEO_SOURCE = 'open-meteo';
const SERVICE = 'Open-Meteo';
const CURRENT_FIELDS = 'temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code';

export interface OpenMeteoOptions {
  forecastUrl: string;
  geocodingUrl: string;
  fetchImpl: typeof fetch;
  timeoutMs: number;
}

function malformed(what: string, detail: string): UpstreamError {
  return new UpstreamError(SERVICE, `${SERVICE} ${what} returned a malformed response: ${detail}`);
}

/** "2024-01-10T14:15" local to the response's utc_offset_seconds → an ISO instant in UTC. */
export function openMeteoTimeToIso(time: unknown, utcOffsetSeconds: unknown): string | undefined {
  if (typeof time !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s = '0'] = match;
  const offset = typeof utcOffsetSeconds === 'number' && Number.isFinite(utcOffsetSeconds) ? utcOffsetSeconds : 0;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offset * 1000;
  return new Date(utc).toISOString();
}

/** "france", "fr" or a region ("île-de-france") names the candidate's country or first-level area. */
function matchesQualifier(candidate: unknown, qualifier: string): boolean {
  if (!isRecord(candidate)) return false;
  return ['country', 'country_code', 'admin1'].some((key) => {
    const value = candidate[key];
    return typeof value === 'string' && value.toLowerCase() === qualifier;
  });
}

export function createOpenMeteoWeatherProvider(options: OpenMeteoOptions): WeatherProvider {
  const get = (base: string, path: string, what: string, params: Record<string, string | number>, call: ProviderCallOptions) =>
    getJson({
      fetchImpl: options.fetchImpl,
      service: SERVICE,
      what,
      url: endpoint(base, path, params),
      signal: call.signal,
      timeoutMs: options.timeoutMs,
    });

  return {
    name: OPEN_METEO_SOURCE,
    async getCurrent(location: string, call: ProviderCallOptions = {}): Promise<WeatherReport | undefined> {
      // The geocoder matches place names only: "Paris, France" searches "Paris"
      // and prefers the candidate in that country or region; the answer names
      // the country, so a fallback to the best match stays visible.
      const [name = '', ...rest] = location.split(',');
      const qualifier = rest.join(',').trim().toLowerCase();
      const geo = await get(
        options.geocodingUrl,
        'v1/search',
        'geocoding',
        { name: name.trim(), count: qualifier ? 10 : 1, language: 'en', format: 'json' },
        call,
      );
      if (!isRecord(geo)) throw malformed('geocoding', 'not a JSON object');
      // No match: Open-Meteo omits "results" altogether.
      if (geo.results === undefined) return undefined;
      if (!Array.isArray(geo.results)) throw malformed('geocoding', '"results" is not an array');
      const place: unknown = qualifier ? (geo.results.find((candidate) => matchesQualifier(candidate, qualifier)) ?? geo.results[0]) : geo.results[0];
      if (place === undefined) return undefined;
      if (!isRecord(place)) throw malformed('geocoding', 'a result is not an object');
      const latitude = toNumber(place.latitude);
      const longitude = toNumber(place.longitude);
      if (latitude === undefined || longitude === undefined) throw malformed('geocoding', 'a result has no coordinates');

      const forecast = await get(options.forecastUrl, 'v1/forecast', 'forecast', { latitude, longitude, current: CURRENT_FIELDS }, call);
      if (!isRecord(forecast) || !isRecord(forecast.current)) throw malformed('forecast', 'no "current" object');
      const current = forecast.current;
      const temperatureC = toNumber(current.temperature_2m);
      if (temperatureC === undefined) throw malformed('forecast', '"current.temperature_2m" is not a number');
      const asOf = openMeteoTimeToIso(current.time, forecast.utc_offset_seconds);
      if (asOf === undefined) throw malformed('forecast', '"current.time" is not a time');
      const weatherCode = toNumber(current.weather_code) ?? null;
      return {
        location: typeof place.name === 'string' && place.name ? place.name : location,
        country: typeof place.country === 'string' ? place.country : null,
        latitude,
        longitude,
        temperatureC,
        relativeHumidity: toNumber(current.relative_humidity_2m) ?? null,
        windSpeedKmh: toNumber(current.wind_speed_10m) ?? null,
        weatherCode,
        conditions: describeWeatherCode(weatherCode),
        asOf,
        source: OPEN_METEO_SOURCE,
        sourceNote: 'Open-Meteo current conditions (model data, updated every 15 minutes) for the best geocoding match.',
      };
    },
  };
}
