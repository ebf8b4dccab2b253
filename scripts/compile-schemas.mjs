// Build step: bundle schemas/*.schema.json into self-contained draft-07 documents
// (what helm's gojsonschema reads) and precompile them with ajv's standalone
// generator, so commands validate without loading ajv itself (~30 ms saved).
// Output goes to generated/ (git-ignored): <name>.schema.json and validate-<name>.js.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemasDir = path.join(root, 'schemas');
const outDir = path.join(root, 'generated');

// Assembled at run time so this script does not carry the marker itself.
const MARKER = ['Generated', 'by clara-wf from schemas/'].join(' ');

/** Inline every file $ref ("stage.schema.json") as #/definitions/<stem>, hoisting definitions. */
export function bundle(entryFile) {
  const load = (f) => JSON.parse(fs.readFileSync(path.join(schemasDir, f), 'utf8'));
  const entry = load(entryFile);
  const definitions = {};
  const seen = new Set();
  const hoist = (defs, from) => {
    for (const [k, v] of Object.entries(defs ?? {})) {
      if (definitions[k] && JSON.stringify(definitions[k]) !== JSON.stringify(v)) {
        throw new Error(`definition ${k} from ${from} collides with another schema's`);
      }
      definitions[k] = v;
    }
  };
  const rewrite = (node) => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== 'object') return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
        const [file, fragment] = v.split('#');
        const stem = file.replace(/\.schema\.json$/, '');
        if (!seen.has(file)) {
          seen.add(file);
          const part = load(file);
          const { $schema, $id, definitions: defs, ...body } = part;
          hoist(rewrite(defs ?? {}), file);
          // A file used as a whole becomes #/definitions/<stem>; one used only
          // for its definitions ("file#/definitions/x") contributes just those.
          if (Object.keys(body).some((key) => !['title', 'description'].includes(key))) definitions[stem] = rewrite(body);
        }
        out.$ref = fragment ? `#${fragment}` : `#/definitions/${stem}`;
      } else {
        out[k] = rewrite(v);
      }
    }
    return out;
  };
  const { $schema, $id, definitions: entryDefs, ...body } = entry;
  const rewritten = rewrite(body);
  hoist(rewrite(entryDefs ?? {}), entryFile);
  const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $comment: `${MARKER}${entryFile}. Do not edit: run \`clara-wf schema\`.`,
    ...rewritten,
    definitions: sorted,
  };
}

// ajv's ESM output still calls require() for its runtime helpers (ucs2length...);
// give the module a require of its own (works under Node and vitest alike).
function esmRuntimeImports(code) {
  if (!code.includes('require(')) return code;
  return code.replace(
    '"use strict";',
    '"use strict";import { createRequire } from "node:module";const require = createRequire(import.meta.url);',
  );
}

function compile(name, entryFile) {
  const schema = bundle(entryFile);
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, code: { source: true, esm: true } });
  ajv.addVocabulary(['x-code', 'x-message']);
  const validate = ajv.compile(schema);
  const code = esmRuntimeImports(standaloneCode(ajv, validate));
  fs.writeFileSync(path.join(outDir, `${name}.schema.json`), JSON.stringify(schema, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, `validate-${name}.js`), `// ${MARKER}${entryFile}\n${code}\n`);
  fs.writeFileSync(
    path.join(outDir, `validate-${name}.d.ts`),
    `import type { SchemaError } from '../src/core/schema-errors.js';\n` +
      `declare const validate: ((data: unknown) => boolean) & { errors?: SchemaError[] | null };\n` +
      `export default validate;\n`,
  );
}

fs.mkdirSync(outDir, { recursive: true });
const targets = { values: 'values.schema.json' };
for (const f of fs.readdirSync(schemasDir)) {
  // Other top-level schemas (dicom config, pipeline) compile the same way.
  const m = /^(dicom-server-config|pipeline)\.schema\.json$/.exec(f);
  if (m) targets[m[1]] = f;
}
for (const [name, file] of Object.entries(targets)) compile(name, file);
