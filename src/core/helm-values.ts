// The values helm installs, built the way helm 3 builds them: -f files merged
// in order (maps deeply, anything else replaced), then --set / --set-string
// (helm's strvals syntax and typing), then the result coalesced onto the
// chart's values, where a null deletes the key. Pure: objects in, objects out.

export type SetKind = 'set' | 'set-string' | 'set-json' | 'set-file';

export class SetSyntaxError extends Error {
  constructor(
    message: string,
    /** How to fix it, where the generic syntax reminder does not fit. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

const has = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a map' : `the ${typeof v} ${JSON.stringify(v)}`);

/**
 * helm refuses a key path through a value that is there but is not a map (or
 * not a list, for `[n]`): an earlier --set, or an -f file, made it null or a
 * scalar. strvals (helm/helm pkg/strvals/parser.go, parser.key and
 * parser.listItem) asserts the type and fails with "unable to parse key:
 * interface conversion: interface {} is nil, not map[string]interface {}".
 */
/** The Go type strvals' values have (typedVal: int64, bool, string; nil; a map or a list from an -f file). */
const goType = (v: unknown) =>
  v === null ? 'nil' : Array.isArray(v) ? '[]interface {}' : typeof v === 'object' ? 'map[string]interface {}' : typeof v === 'number' ? (Number.isInteger(v) ? 'int64' : 'float64') : typeof v === 'boolean' ? 'bool' : 'string';

function conflict(path: string, found: unknown, wanted: 'map' | 'list'): SetSyntaxError {
  return new SetSyntaxError(
    `${path} is ${kindOf(found)} here (an earlier --set or -f file set it), so helm cannot set a key under it ("unable to parse key: interface conversion: interface {} is ${goType(found)}, not ${wanted === 'map' ? 'map[string]interface {}' : '[]interface {}'}")`,
    `drop the earlier value, or give the whole ${wanted} at once (--set-json '${path}=${wanted === 'map' ? '{…}' : '[…]'}')`,
  );
}

type Obj = Record<string, unknown>;
const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** helm strvals typedVal: true/false, null, integers without a leading zero, else the string. */
function typed(v: string, asString: boolean): unknown {
  if (asString) return v;
  const l = v.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  if (l === 'null') return null;
  if (v === '0') return 0;
  if (v.length && v[0] !== '0' && /^[+-]?[0-9]+$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  return v;
}

/** Characters up to one of `stop` (backslash escapes the next one); the stop found, or '' at the end. */
function until(s: string, i: number, stop: string): [string, string, number] {
  let out = '';
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      out += s[i + 1];
      i += 2;
      continue;
    }
    if (stop.includes(c)) return [out, c, i + 1];
    out += c;
    i++;
  }
  return [out, '', i];
}

function setIndex(list: unknown[], idx: number, v: unknown): unknown[] {
  if (idx < 0) throw new SetSyntaxError(`negative list index ${idx}`);
  while (list.length <= idx) list.push(null);
  list[idx] = v;
  return list;
}

/**
 * Apply one --set argument (`a.b=1,c[0].d=x,e={p,q}`) to `into`, as helm's
 * strvals.ParseInto / ParseIntoString do.
 */
export function applySet(into: Obj, arg: string, kind: SetKind, readFile?: (path: string) => string): void {
  const asString = kind === 'set-string' || kind === 'set-file';
  let i = 0;
  // One assignment: a key path, '=', a value; assignments are separated by ','.
  const value = (): unknown => {
    if (kind === 'set-json') return jsonValue();
    if (kind === 'set-file') {
      const [p, , next] = until(arg, i, ',');
      i = next;
      if (!readFile) throw new SetSyntaxError('--set-file needs a file reader');
      return readFile(p);
    }
    if (arg[i] === '{' && !asString) {
      i++;
      const list: unknown[] = [];
      for (;;) {
        const [v, stop, next] = until(arg, i, ',}');
        i = next;
        if (stop === '') throw new SetSyntaxError("list must terminate with '}'");
        list.push(typed(v, false));
        if (stop === '}') {
          if (arg[i] === ',') i++;
          return list;
        }
      }
    }
    const [v, , next] = until(arg, i, ',');
    i = next;
    return typed(v, asString);
  };
  /** One JSON value from i (objects and strings may hold commas), then ',' or the end. */
  const jsonValue = (): unknown => {
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < arg.length; j++) {
      const c = arg[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
      else if (c === ',' && depth === 0) break;
    }
    const text = arg.slice(i, j);
    i = j < arg.length ? j + 1 : j;
    try {
      return JSON.parse(text);
    } catch {
      throw new SetSyntaxError(`"${text}" is not a JSON value`);
    }
  };
  /** The number of a `[n]` list index (the '[' is read already). */
  const index = (): number => {
    const [n, close, after] = until(arg, i, ']');
    i = after;
    if (close !== ']' || !/^[0-9]+$/.test(n)) throw new SetSyntaxError(`list index in "${arg}" must be a number in [ ]`);
    return Number(n);
  };
  const assign = (target: Obj, at = ''): void => {
    const [key, stop, next] = until(arg, i, '=[,.');
    i = next;
    if (!key) throw new SetSyntaxError(`key missing in "${arg}"`);
    const here = at ? `${at}.${key}` : key;
    if (stop === '=') {
      target[key] = value();
      return;
    }
    if (stop === '.') {
      if (has(target, key) && !isMap(target[key])) throw conflict(here, target[key], 'map');
      if (!isMap(target[key])) target[key] = {};
      assign(target[key] as Obj, here);
      return;
    }
    if (stop === '[') {
      if (has(target, key) && !Array.isArray(target[key])) throw conflict(here, target[key], 'list');
      const list = Array.isArray(target[key]) ? (target[key] as unknown[]) : [];
      target[key] = list;
      assignIndex(list, index(), here);
      return;
    }
    throw new SetSyntaxError(`key "${key}" has no value (expected ${key}=<value>)`);
  };
  const assignIndex = (list: unknown[], idx: number, at: string): void => {
    const here = `${at}[${idx}]`;
    const c = arg[i];
    i++;
    if (c === '=') {
      setIndex(list, idx, value());
      return;
    }
    if (c === '.') {
      // strvals replaces a non-map list item here rather than failing.
      const child = isMap(list[idx]) ? (list[idx] as Obj) : {};
      setIndex(list, idx, child);
      assign(child, here);
      return;
    }
    if (c === '[') {
      if (idx < list.length && list[idx] != null && !Array.isArray(list[idx])) throw conflict(here, list[idx], 'list');
      const inner = Array.isArray(list[idx]) ? (list[idx] as unknown[]) : [];
      setIndex(list, idx, inner);
      assignIndex(inner, index(), here);
      return;
    }
    throw new SetSyntaxError(`"${arg}": expected =, . or [ after a list index`);
  };
  while (i < arg.length) assign(into);
}

/** helm's mergeMaps for -f files: maps merge deeply, anything else (lists too) replaces. */
export function mergeInto(base: Obj, next: Obj): Obj {
  for (const [k, v] of Object.entries(next)) {
    if (isMap(v) && isMap(base[k])) mergeInto(base[k] as Obj, v);
    else base[k] = v;
  }
  return base;
}

/** helm's coalesce of user values onto the chart's: a null removes the key. */
export function coalesce(chart: Obj, user: Obj): Obj {
  const out: Obj = structuredClone(chart);
  const walk = (dst: Obj, src: Obj) => {
    for (const [k, v] of Object.entries(src)) {
      if (v === null) delete dst[k];
      else if (isMap(v) && isMap(dst[k])) walk(dst[k] as Obj, v);
      else dst[k] = isMap(v) ? stripNulls(v) : v;
    }
  };
  walk(out, user);
  return out;
}

function stripNulls(v: Obj): Obj {
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = isMap(x) ? stripNulls(x) : x;
  return out;
}

/** Does `layer` supply the value at `segs` (the value itself, or an ancestor that replaced the subtree)? */
export function supplies(layer: unknown, segs: readonly string[]): boolean {
  let cur: unknown = layer;
  for (const s of segs) {
    if (!isMap(cur) && !Array.isArray(cur)) return true; // a scalar or null here replaced what is below
    if (Array.isArray(cur)) return true; // lists replace as a whole
    if (!(s in cur)) return false;
    cur = cur[s];
  }
  return true;
}
