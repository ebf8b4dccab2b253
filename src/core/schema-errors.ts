// Turns ajv's errors (from the precompiled validators in generated/) into
// findings with stable codes. Codes and messages for constraints live in the
// schema itself (`x-code`, `x-message`), so the JSON Schema stays the one source.
import { closest, distance } from 'fastest-levenshtein';
import { pointer, type Finding } from './diagnostic.js';

export interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
  propertyName?: string;
  parentSchema?: Record<string, unknown>;
  data?: unknown;
}

/** How a scalar was written in the source, for YAML 1.1 explanations. */
export type ScalarLookup = (path: string) => { raw: string; plain: boolean } | undefined;

export function schemaFindings(errors: readonly SchemaError[], scalar: ScalarLookup): Finding[] {
  // A failed anyOf reports every branch's error too; keep only the anyOf itself.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath + '/');
  const out: Finding[] = [];
  for (const e of errors) {
    if (e.keyword === 'propertyNames' || e.keyword === 'if') continue;
    if (anyOfPaths.some((p) => e.schemaPath.startsWith(p))) continue;
    out.push(toFinding(e, scalar));
  }
  return out;
}

/** "stages.user-ai.timeout" for messages. */
export function dotted(path: string): string {
  if (path === '') return '(document)';
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : (i ? '.' : '') + s))
    .join('');
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `the ${typeof v} ${JSON.stringify(v)}`;
}

function toFinding(e: SchemaError, scalar: ScalarLookup): Finding {
  const ps = e.parentSchema ?? {};
  const xcode = typeof ps['x-code'] === 'string' ? (ps['x-code'] as string) : undefined;
  const xmsg = typeof ps['x-message'] === 'string' ? (ps['x-message'] as string) : undefined;
  const base = { severity: 'error' as const };

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const path = e.instancePath + pointer(key);
      const known = Object.keys((ps.properties as Record<string, unknown>) ?? {});
      const guess = known.length ? closest(key, known) : undefined;
      const near = guess !== undefined && distance(key, guess) <= Math.max(2, Math.floor(guess.length / 3));
      return {
        ...base,
        code: 'UNKNOWN_KEY',
        path,
        at: 'key',
        message: `unknown key "${key}" in ${dotted(e.instancePath)}`,
        hint: near ? `did you mean "${guess}"?` : known.length ? `allowed keys: ${known.join(', ')}` : undefined,
      };
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      const inStage = /^\/stages\/[^/]+$/.test(e.instancePath);
      return {
        ...base,
        code: 'MISSING_KEY',
        path: e.instancePath,
        at: 'key',
        message: `${dotted(e.instancePath)} is missing "${missing}"`,
        hint: inStage
          ? `run \`clara-wf cs ${e.instancePath.split('/')[2]}\` to regenerate the stage block with every field`
          : undefined,
      };
    }
    case 'type': {
      const expected = String(e.params.type);
      const s = scalar(e.instancePath);
      if (expected.includes('string') && s?.plain && (typeof e.data === 'boolean' || typeof e.data === 'number')) {
        const isBool = typeof e.data === 'boolean';
        return {
          ...base,
          code: isBool ? 'YAML11_BOOLEAN' : 'YAML11_NUMBER',
          path: e.instancePath,
          message: `${dotted(e.instancePath)}: Helm reads the unquoted ${s.raw} as the ${isBool ? 'boolean' : 'number'} ${String(e.data)}, not the string "${s.raw}"`,
          hint: `quote it: "${s.raw}"`,
        };
      }
      return {
        ...base,
        code: 'WRONG_TYPE',
        path: e.instancePath,
        message: `${dotted(e.instancePath)} must be ${article(expected)}, not ${typeName(e.data)}`,
      };
    }
    case 'enum':
      return {
        ...base,
        code: xcode ?? 'INVALID_VALUE',
        path: e.instancePath,
        message: `${dotted(e.instancePath)} must be one of ${((e.params.allowedValues as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(e.data)}`,
      };
    default: {
      if (e.propertyName !== undefined) {
        const path = e.instancePath + pointer(e.propertyName);
        return {
          ...base,
          code: xcode ?? 'INVALID_KEY',
          path,
          at: 'key',
          message: `"${e.propertyName}": ${xmsg ?? e.message ?? 'invalid key'}`,
        };
      }
      return {
        ...base,
        code: xcode ?? 'INVALID_VALUE',
        path: e.instancePath,
        message: `${dotted(e.instancePath)}: ${xmsg ?? e.message ?? 'invalid value'}${shown(e.data)}`,
      };
    }
  }
}

function article(types: string): string {
  return types
    .split(',')
    .map((t) => (t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : `a ${t}`))
    .join(' or ');
}

function shown(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return ` (got ${JSON.stringify(v)})`;
  return '';
}
