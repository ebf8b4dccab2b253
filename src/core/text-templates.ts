// Generated YAML text (stage blocks, workflow entries) comes from handlebars
// templates in templates/; the helpers quote scalars the way Helm will read them.
import Handlebars from 'handlebars';
import { YAML11_SCHEMA, load } from 'js-yaml';

const hb = Handlebars.create();

/** A double-quoted YAML scalar (JSON string escapes are valid YAML escapes). */
export const quote = (s: unknown): string => JSON.stringify(String(s));

/** Plain when Helm (YAML 1.1) reads the plain text back as this very string, else quoted. */
export function plainOrQuoted(s: unknown): string {
  const str = String(s);
  if (!/^[A-Za-z0-9][A-Za-z0-9._/:-]*$/.test(str) || /:$|: /.test(str)) return quote(str);
  try {
    return load(str, { schema: YAML11_SCHEMA }) === str ? str : quote(str);
  } catch {
    return quote(str);
  }
}

/** A flow collection in the seed's style: ["a", "b"], nested lists and {k: v} mappings allowed. */
export function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${plainOrQuoted(k)}: ${flow(x)}`).join(', ')}}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return quote(v);
}

hb.registerHelper('q', (v: unknown) => quote(v));
hb.registerHelper('plain', (v: unknown) => plainOrQuoted(v));
hb.registerHelper('flow', (v: unknown) => flow(v));
hb.registerHelper('scalar', (v: unknown) => (typeof v === 'number' ? String(v) : quote(v)));

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Render a template to lines (no trailing empty line). */
export function renderTemplate(source: string, data: object): string[] {
  let tpl = cache.get(source);
  if (!tpl) {
    tpl = hb.compile(source, { noEscape: true, strict: false });
    cache.set(source, tpl);
  }
  const out = tpl(data).replace(/\r\n/g, '\n').replace(/\n+$/, '');
  return out.split('\n');
}
