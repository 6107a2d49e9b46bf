import type { FieldChange, PlannedChange, RegistryPlan } from './registry-plan.ts';

/**
 * A plan for people, in the manner of `terraform plan`: one line per change
 * (+ create, ~ update, - delete), the changed fields under each update, and
 * a summary line. Long values are cut; the JSON form (planView) has them whole.
 */
const SYMBOL = { create: '+', update: '~', delete: '-' } as const;
const KIND = { server: 'server', tool: 'tool', dataSource: 'data source', upstream: 'upstream' } as const;
const MAX_VALUE = 80;
const MAX_PATCH_LINES = 8;

function shown(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function fieldLines(change: FieldChange): string[] {
  if (!change.patch) return [`      ~ ${change.field}: ${shown(change.before)} → ${shown(change.after)}`];
  const lines = change.patch.slice(0, MAX_PATCH_LINES).map((operation) => {
    const value = 'value' in operation ? ` ${shown(operation.value)}` : '';
    return `          ${operation.op} ${operation.path || '/'}${value}`;
  });
  if (change.patch.length > MAX_PATCH_LINES) lines.push(`          … and ${change.patch.length - MAX_PATCH_LINES} more`);
  return [`      ~ ${change.field}:`, ...lines];
}

function changeLines(change: PlannedChange): string[] {
  const head = `  ${SYMBOL[change.action]} ${change.action} ${KIND[change.kind]} ${change.id}`;
  const extra = change.kind === 'server' && change.action === 'delete' && change.tools ? ` (and its ${change.tools} tool${change.tools === 1 ? '' : 's'})` : '';
  return [head + extra, ...change.fields.flatMap(fieldLines)];
}

export function planText(plan: RegistryPlan, fileName: string, outcome: 'plan' | 'applied'): string {
  const { create, update, delete: removed, unchanged } = plan.summary;
  if (plan.steps.length === 0) return `No changes. The registry matches ${fileName} (${unchanged} unchanged).\n`;
  const lines = [
    outcome === 'plan' ? `Toolport would make the registry match ${fileName}:` : `Toolport made the registry match ${fileName}:`,
    '',
    ...plan.steps.flatMap(changeLines),
    '',
    outcome === 'plan'
      ? `Plan: ${create} to create, ${update} to update, ${removed} to delete; ${unchanged} unchanged. (fingerprint ${plan.fingerprint})`
      : `Applied: ${create} created, ${update} updated, ${removed} deleted; ${unchanged} unchanged.`,
  ];
  return `${lines.join('\n')}\n`;
}
