// A form built from a JSON Schema (a tool's inputSchema). The public entry: the parts live in ./schema-form/, composed
// by schema-form/form.js.
export { schemaForm } from './schema-form/form.js';
