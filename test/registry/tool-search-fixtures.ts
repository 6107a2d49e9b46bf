import type { ToolRow } from '../../src/db/schema.ts';
import { handlers } from '../../src/handlers/index.ts';
import { AvailableTool, type CatalogView, type ToolEntry, UnavailableTool } from '../../src/registry/snapshot.ts';

/** Synthetic catalogs for tool search: realistic names and descriptions across many domains, deterministic. */

const handler = handlers.get('echo') ?? [...handlers.values()][0]!;
let ids = 0;

export function toolRow(name: string, description: string, title: string | null = null, version = 1, enabled = true): ToolRow {
  ids += 1;
  return {
    id: `00000000-0000-4000-8000-${ids.toString(16).padStart(12, '0')}`,
    serverId: name.split('_')[0] ?? 'synthetic',
    name,
    title,
    description,
    inputSchema: { type: 'object' },
    outputSchema: null,
    handler: handler.name,
    handlerConfig: {},
    annotations: {},
    enabled,
    version,
    rateLimit: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  } as ToolRow;
}

export function available(name: string, description: string, title: string | null = null): AvailableTool {
  return new AvailableTool(name, toolRow(name, description, title), handler, {});
}

export function disabled(entry: ToolEntry): UnavailableTool {
  const row = { ...entry.row, enabled: false, version: entry.row.version + 1 };
  return new UnavailableTool(entry.name, row, 'disabled', handler);
}

let revision = 0;

/** A catalog view of these entries (sorted by name, like a snapshot). */
export function viewOf(entries: Iterable<ToolEntry>): CatalogView {
  const ordered = [...entries].sort((a, b) => (a.name < b.name ? -1 : 1));
  revision += 1;
  return {
    revision,
    tools: new Map(ordered.map((entry) => [entry.name, entry])),
    ordered,
    available: ordered.filter((entry): entry is AvailableTool => entry.available),
    info: { id: 'synthetic', name: 'Synthetic', description: '' },
  };
}

interface Domain {
  prefix: string;
  things: [string, string][];
}

const DOMAINS: Domain[] = [
  {
    prefix: 'finance',
    things: [
      ['stock_quote', 'stock quote'],
      ['dividend', 'dividend'],
      ['portfolio', 'portfolio'],
      ['exchange_rate', 'currency exchange rate'],
      ['earnings_report', 'earnings report'],
      ['bond_yield', 'bond yield'],
      ['market_index', 'market index'],
      ['option_chain', 'option chain'],
    ],
  },
  {
    prefix: 'crypto',
    things: [
      ['price', 'cryptocurrency price'],
      ['wallet', 'wallet'],
      ['transaction', 'blockchain transaction'],
      ['token', 'token'],
      ['gas_fee', 'gas fee'],
    ],
  },
  {
    prefix: 'weather',
    things: [
      ['forecast', 'weather forecast'],
      ['alert', 'severe weather alert'],
      ['air_quality', 'air quality index'],
      ['radar', 'radar image'],
      ['uv_index', 'UV index'],
    ],
  },
  {
    prefix: 'calendar',
    things: [
      ['event', 'calendar event'],
      ['invite', 'meeting invitation'],
      ['availability', 'free/busy availability'],
      ['reminder', 'reminder'],
    ],
  },
  {
    prefix: 'email',
    things: [
      ['message', 'email message'],
      ['draft', 'draft'],
      ['attachment', 'attachment'],
      ['label', 'mailbox label'],
      ['thread', 'conversation thread'],
    ],
  },
  {
    prefix: 'crm',
    things: [
      ['contact', 'customer contact'],
      ['deal', 'sales deal'],
      ['lead', 'sales lead'],
      ['account', 'customer account'],
      ['pipeline', 'sales pipeline'],
    ],
  },
  {
    prefix: 'github',
    things: [
      ['issue', 'repository issue'],
      ['pull_request', 'pull request'],
      ['commit', 'commit'],
      ['release', 'release'],
      ['workflow_run', 'CI workflow run'],
      ['branch', 'branch'],
    ],
  },
  {
    prefix: 'jira',
    things: [
      ['ticket', 'ticket'],
      ['sprint', 'sprint'],
      ['board', 'board'],
      ['epic', 'epic'],
      ['worklog', 'worklog entry'],
    ],
  },
  {
    prefix: 'slack',
    things: [
      ['channel', 'channel'],
      ['message', 'chat message'],
      ['reaction', 'emoji reaction'],
      ['user_group', 'user group'],
    ],
  },
  {
    prefix: 'storage',
    things: [
      ['file', 'file'],
      ['folder', 'folder'],
      ['bucket', 'storage bucket'],
      ['share_link', 'share link'],
      ['file_version', 'file version'],
    ],
  },
  {
    prefix: 'db',
    things: [
      ['table', 'database table'],
      ['query', 'saved SQL query'],
      ['backup', 'database backup'],
      ['index', 'table index'],
      ['replica', 'read replica'],
    ],
  },
  {
    prefix: 'maps',
    things: [
      ['route', 'driving route'],
      ['place', 'place'],
      ['geocode', 'address geocode'],
      ['distance_matrix', 'distance matrix'],
      ['timezone', 'time zone'],
    ],
  },
  {
    prefix: 'translate',
    things: [
      ['text', 'text translation'],
      ['language', 'supported language'],
      ['glossary', 'glossary'],
      ['document', 'document translation'],
    ],
  },
  {
    prefix: 'news',
    things: [
      ['headline', 'news headline'],
      ['article', 'news article'],
      ['source', 'news source'],
      ['topic', 'trending topic'],
    ],
  },
  {
    prefix: 'sports',
    things: [
      ['score', 'live game score'],
      ['fixture', 'match fixture'],
      ['standing', 'league standing'],
      ['player_stat', 'player statistic'],
    ],
  },
  {
    prefix: 'health',
    things: [
      ['appointment', 'patient appointment'],
      ['prescription', 'prescription'],
      ['lab_result', 'lab result'],
      ['vital_sign', 'vital sign reading'],
    ],
  },
  {
    prefix: 'hr',
    things: [
      ['employee', 'employee record'],
      ['payroll_run', 'payroll run'],
      ['time_off', 'time-off request'],
      ['job_posting', 'job posting'],
      ['candidate', 'job candidate'],
    ],
  },
  {
    prefix: 'billing',
    things: [
      ['invoice', 'invoice'],
      ['subscription', 'subscription'],
      ['payment', 'payment'],
      ['refund', 'refund'],
      ['coupon', 'discount coupon'],
    ],
  },
  {
    prefix: 'analytics',
    things: [
      ['report', 'analytics report'],
      ['funnel', 'conversion funnel'],
      ['cohort', 'user cohort'],
      ['metric', 'metric'],
      ['dashboard', 'dashboard'],
    ],
  },
  {
    prefix: 'shipping',
    things: [
      ['shipment', 'shipment'],
      ['label', 'shipping label'],
      ['rate', 'carrier rate'],
      ['tracking_event', 'tracking event'],
    ],
  },
  {
    prefix: 'inventory',
    things: [
      ['stock_level', 'stock level'],
      ['warehouse', 'warehouse'],
      ['sku', 'product SKU'],
      ['purchase_order', 'purchase order'],
    ],
  },
  {
    prefix: 'social',
    things: [
      ['post', 'social media post'],
      ['follower', 'follower'],
      ['mention', 'brand mention'],
      ['hashtag', 'hashtag'],
    ],
  },
  {
    prefix: 'devops',
    things: [
      ['deployment', 'deployment'],
      ['incident', 'incident'],
      ['alert_rule', 'alert rule'],
      ['log_stream', 'log stream'],
      ['container', 'container'],
    ],
  },
  {
    prefix: 'ecommerce',
    things: [
      ['product', 'product'],
      ['order', 'customer order'],
      ['cart', 'shopping cart'],
      ['review', 'product review'],
      ['price_rule', 'price rule'],
    ],
  },
];

const VERBS: [string, string][] = [
  ['get', 'Get a {t} by its id'],
  ['list', 'List every {t} matching the given filters, paginated'],
  ['create', 'Create a new {t}'],
  ['update', 'Update the fields of an existing {t}'],
  ['delete', 'Delete a {t} permanently'],
  ['search', 'Search {t}s by keyword and date range'],
  ['export', 'Export {t}s as a CSV file'],
  ['archive', 'Archive an old {t} so it no longer shows in lists'],
];

const VARIANTS: [string, string][] = [
  ['', ''],
  ['_batch', ' (batch of up to 100 at once)'],
  ['_v2', ' using the newer v2 API'],
  ['_by_owner', ' filtered by owner'],
  ['_history', ', with the history of past changes'],
  ['_async', ' as a background job; returns a job id'],
];

/** The tool the "stock price" acceptance check looks for, and its nearest rivals. */
export const STOCK_PRICE_TOOLS: [string, string][] = [
  ['finance_get_stock_price', 'Get the latest stock price for a ticker'],
  ['finance_get_stock_price_history', 'Get historical daily stock prices for a ticker over a date range, with volumes'],
  ['finance_list_stock_splits', 'List the stock splits of a company, with their ratios and dates'],
  ['crypto_get_spot_price', 'Get the current spot price of a cryptocurrency pair on an exchange'],
  ['inventory_get_stock_count', 'Get how many units of a product are in stock in each warehouse'],
  ['ecommerce_update_product_price', 'Change the selling price of a product in the store catalog'],
];

/** `count` synthetic tools (domains × verbs × things × variants, then numbered regions), the stock-price tools included. */
export function syntheticTools(count: number): AvailableTool[] {
  const tools = new Map<string, AvailableTool>();
  for (const [name, description] of STOCK_PRICE_TOOLS) tools.set(name, available(name, description));
  for (let region = 0; tools.size < count; region += 1) {
    for (const variant of VARIANTS) {
      for (const domain of DOMAINS) {
        for (const [thing, words] of domain.things) {
          for (const [verb, template] of VERBS) {
            if (tools.size >= count) break;
            const suffix = region ? `_r${region}` : '';
            const name = `${domain.prefix}_${verb}_${thing}${variant[0]}${suffix}`;
            const where = region ? ` in region ${region}` : '';
            const description = `${template.replaceAll('{t}', words)}${variant[1]}${where}.`;
            const title = (tools.size % 3 === 0 ? `${verb} ${words}` : null)?.replace(/^./, (c) => c.toUpperCase()) ?? null;
            if (!tools.has(name)) tools.set(name, available(name, description, title));
          }
        }
      }
    }
  }
  return [...tools.values()];
}
