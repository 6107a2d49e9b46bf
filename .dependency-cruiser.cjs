/**
 * The dependency rule of src/, one way down (README "Architecture"):
 *
 *   main → hosting → http | mcp | admin → registry | auth | observability → handlers → providers → db → shared
 *
 * A folder may import its own files and any folder below it, never one above;
 * http and mcp (adapters) never import each other; drizzle/ (the table
 * definitions) is imported by db/ only; no import cycles anywhere.
 */
const LAYERS = [
  ['main'],
  ['hosting'],
  ['http', 'mcp', 'admin'],
  ['registry', 'auth', 'observability'],
  ['handlers'],
  ['providers'],
  ['db'],
  ['shared'],
];

const folder = (names) => `^src/(${names.join('|')})/`;

const upward = LAYERS.flatMap((names, index) =>
  index === 0
    ? []
    : [
        {
          name: `${names.join('-')}-imports-upward`,
          comment: `${names.join(', ')} may import only folders below it (${LAYERS.slice(index + 1).flat().join(', ') || 'none'})`,
          severity: 'error',
          from: { path: folder(names) },
          to: { path: folder(LAYERS.slice(0, index).flat()) },
        },
      ],
);

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'adapters-import-each-other',
      comment: 'http/ and mcp/ are sibling adapters: what both need lives below them',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/mcp/' },
    },
    {
      name: 'adapters-import-each-other-mcp',
      comment: 'http/ and mcp/ are sibling adapters: what both need lives below them',
      severity: 'error',
      from: { path: '^src/mcp/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'tables-only-through-db',
      comment: 'drizzle/ (the table definitions) is reached through src/db only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/db/' },
      to: { path: '^drizzle/' },
    },
    {
      name: 'src-outside-layers',
      comment: 'every file of src/ lives in one of the layer folders',
      severity: 'error',
      from: { path: '^src/[^/]+$' },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
