// Two revisions of a tool side by side: a line diff of their pretty-printed JSON (keys sorted), changed lines marked,
// unchanged runs folded to a few lines of context around each change.
import { h, time } from './dom.js';
import { pretty } from './text.js';

const CONTEXT = 3;

/** JSON with every object's keys sorted (as the API's own diff does), so two versions line up. */
function sorted(value) {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sorted(value[key])]),
    );
  return value;
}

/** Line diff of two texts: [{ op: 'same' | 'del' | 'add', text }] (common ends trimmed, LCS in the middle). */
function diffLines(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops = a.slice(0, start).map((text) => ({ op: 'same', text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  if (n * m > 4_000_000) {
    for (const text of midA) ops.push({ op: 'del', text });
    for (const text of midB) ops.push({ op: 'add', text });
  } else {
    // lengths[i][j]: the LCS of midA[i..] and midB[j..]
    const lengths = new Uint32Array((n + 1) * (m + 1));
    const at = (i, j) => i * (m + 1) + j;
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lengths[at(i, j)] = midA[i] === midB[j] ? lengths[at(i + 1, j + 1)] + 1 : Math.max(lengths[at(i + 1, j)], lengths[at(i, j + 1)]);
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (midA[i] === midB[j]) {
        ops.push({ op: 'same', text: midA[i] });
        i++;
        j++;
      } else if (lengths[at(i + 1, j)] >= lengths[at(i, j + 1)]) ops.push({ op: 'del', text: midA[i++] });
      else ops.push({ op: 'add', text: midB[j++] });
    }
    while (i < n) ops.push({ op: 'del', text: midA[i++] });
    while (j < m) ops.push({ op: 'add', text: midB[j++] });
  }
  for (const text of a.slice(endA)) ops.push({ op: 'same', text });
  return ops;
}

/** Side-by-side rows: [{ left: {op, text, no} | null, right: … }], removed and added lines paired up. */
function sideBySide(ops) {
  const rows = [];
  let dels = [];
  let adds = [];
  let left = 0;
  let right = 0;
  const flush = () => {
    for (let k = 0; k < Math.max(dels.length, adds.length); k++) rows.push({ left: dels[k] ?? null, right: adds[k] ?? null, changed: true });
    dels = [];
    adds = [];
  };
  for (const op of ops) {
    if (op.op === 'del') dels.push({ ...op, no: ++left });
    else if (op.op === 'add') adds.push({ ...op, no: ++right });
    else {
      flush();
      rows.push({ left: { ...op, no: ++left }, right: { ...op, no: ++right }, changed: false });
    }
  }
  flush();
  return rows;
}

function cell(side, line) {
  if (!line) return h('div', { class: `line ${side} blank` }, ' ');
  const mark = line.op === 'del' ? '− ' : line.op === 'add' ? '+ ' : '  ';
  const cls = line.op === 'same' ? '' : ` ${line.op}`;
  return h('div', { class: `line ${side}${cls}` }, h('span', { class: 'no', 'aria-hidden': 'true' }, String(line.no)), mark, line.text);
}

function describe(revision) {
  return `Version ${revision.version} (${revision.operation}, ${revision.actor ?? 'unknown'})`;
}

/** The two definitions as side-by-side JSON, changed lines marked ("−"/"+" and a background), unchanged runs folded unless `full`. */
export function diffView(fromRev, toRev, full) {
  const lines = (rev) => (rev.definition === null || rev.definition === undefined ? [] : pretty(sorted(rev.definition)).split('\n'));
  const rows = sideBySide(diffLines(lines(fromRev), lines(toRev)));
  const grid = h(
    'div',
    { class: 'diff', role: 'group', 'aria-label': `${describe(fromRev)} compared with ${describe(toRev)}` },
    h('div', { class: 'diff-head' }, describe(fromRev), ' ', time(fromRev.changedAt)),
    h('div', { class: 'diff-head' }, describe(toRev), ' ', time(toRev.changedAt)),
  );
  const keep = rows.map(() => full);
  if (!full)
    rows.forEach((row, i) => {
      if (row.changed) for (let k = Math.max(0, i - CONTEXT); k <= Math.min(rows.length - 1, i + CONTEXT); k++) keep[k] = true;
    });
  let skipped = 0;
  const fold = () => {
    if (skipped) grid.append(h('div', { class: 'diff-fold' }, `… ${skipped} unchanged line${skipped === 1 ? '' : 's'} …`));
    skipped = 0;
  };
  rows.forEach((row, i) => {
    if (!keep[i]) {
      skipped++;
      return;
    }
    fold();
    grid.append(cell('left', row.left), cell('right', row.right));
  });
  fold();
  return { grid, changes: rows.filter((row) => row.changed).length };
}
