import { aggregate, deduplicateRecords, filterRecords, groupRecords, numbersOf, requireField, sortRecords } from './operations.ts';
import type { DataProcessorInput, DataRecord, Operation } from './schema.ts';
import { describeNumbers } from './statistics.ts';
import { asList, show } from './values.ts';

/**
 * A small pipeline over JSON records. Operations run in order; sort, filter,
 * deduplicate and group transform the records, aggregate and statistics
 * compute a result from the current records without changing them, so a
 * pipeline can compute several figures and still return the records.
 */

function describeOp(op: Operation): string {
  switch (op.op) {
    case 'sort':
      return `sort by ${asList(op.by).join(', ')} ${op.order}`;
    case 'filter':
      return `filter ${op.field} ${op.operator} ${show(op.value)}`;
    case 'deduplicate':
      return op.by ? `deduplicate by ${op.by.join(', ')}` : 'deduplicate whole records';
    case 'group':
      return `group by ${asList(op.by).join(', ')}`;
    case 'aggregate':
      return `${op.fn} of ${op.field}`;
    case 'statistics':
      return `statistics of ${op.field}`;
  }
}

export function processData(input: DataProcessorInput) {
  let records: DataRecord[] = input.data;
  const results: DataRecord[] = [];
  const steps: { index: number; op: string; recordsIn: number; recordsOut: number; detail: string }[] = [];

  input.operations.forEach((op, index) => {
    const recordsIn = records.length;
    let detail = describeOp(op);
    switch (op.op) {
      case 'sort':
        records = sortRecords(records, op, index);
        break;
      case 'filter':
        records = filterRecords(records, op, index);
        break;
      case 'deduplicate':
        records = deduplicateRecords(records, op, index);
        break;
      case 'group':
        records = groupRecords(records, op, index);
        break;
      case 'aggregate': {
        requireField(records, op.field, index);
        const value = aggregate(records, op.field, op.fn, index);
        results.push({ op: 'aggregate', index, field: op.field, fn: op.fn, value });
        detail += ` = ${value}`;
        break;
      }
      case 'statistics': {
        requireField(records, op.field, index);
        const { values, missing } = numbersOf(records, op.field, index);
        const stats = describeNumbers(values, missing);
        results.push({ op: 'statistics', index, field: op.field, ...stats });
        detail += `: n=${stats.count}, mean=${stats.mean}`;
        break;
      }
    }
    steps.push({ index, op: op.op, recordsIn, recordsOut: records.length, detail });
  });

  const summary =
    `${input.data.length} record(s) in, ${records.length} out` +
    (steps.length ? `; ${steps.map((step) => `${step.detail} (${step.recordsIn} → ${step.recordsOut})`).join('; ')}` : '; no operations');
  return { records, recordCount: records.length, results, steps, summary };
}
