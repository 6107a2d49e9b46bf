import * as v from 'valibot';
import { defineHandler, ToolInputError } from '../define.ts';

const nullableNumber = (description: string) => v.pipe(v.nullable(v.number()), v.description(description));

const Output = v.object({
  location: v.pipe(v.string(), v.description('The place that was matched.')),
  country: v.nullable(v.string()),
  latitude: v.number(),
  longitude: v.number(),
  temperatureC: v.pipe(v.number(), v.description('Air temperature at 2 m, °C.')),
  relativeHumidity: nullableNumber('Relative humidity at 2 m, %.'),
  windSpeedKmh: nullableNumber('Wind speed at 10 m, km/h.'),
  weatherCode: nullableNumber('WMO weather interpretation code.'),
  conditions: v.pipe(v.string(), v.description('The weather code in words, e.g. "Partly cloudy".')),
  asOf: v.pipe(v.string(), v.description('When the conditions apply: an ISO instant (live) or a date (sample).')),
  source: v.pipe(v.string(), v.description('Which provider answered: "open-meteo", or "offline sample snapshot (as of DATE)" for bundled sample data.')),
  sourceNote: v.nullable(v.string()),
});

export const getWeather = defineHandler({
  name: 'get_weather',
  title: 'Get current weather',
  description:
    'Get the current weather for a city: temperature (°C), relative humidity (%), wind speed (km/h) and the ' +
    'conditions in words, plus the matched place, its coordinates, when the data applies (asOf) and where it came ' +
    'from (source). Depending on server configuration the data comes from Open-Meteo (live) or from a bundled offline ' +
    'sample of about ten major cities (London, New York, Tokyo, Paris, Berlin, Sydney, Mumbai, Toronto, Singapore, ' +
    'Cape Town) with illustrative, not live, conditions — check `source`. A place that cannot be found is an error.',
  input: v.object({
    location: v.pipe(
      v.string(),
      v.minLength(1, 'must not be empty'),
      v.maxLength(200, 'must be at most 200 characters'),
      v.regex(/\S/, 'must not be blank'),
      v.description('City name, optionally with the country: "Paris" or "Paris, France".'),
    ),
  }),
  output: Output,
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(input, ctx) {
    const location = input.location.trim();
    const report = await ctx.providers.weather.getCurrent(location, { signal: ctx.signal });
    if (!report) {
      throw new ToolInputError(
        `unknown location "${location}": the weather provider (${ctx.providers.weather.name}) could not find it; try a larger nearby city`,
        '/location',
      );
    }
    return { ...report };
  },
});
