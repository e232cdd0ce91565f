/**
 * Reading a job kind's config JSON Schema (pydantic's, from GET /api/jobs) into form fields.
 *
 * The server's config model is the one source of the form: its fields, defaults, ranges,
 * choices and descriptions. Only what pydantic emits for our configs is handled: numbers,
 * integers, booleans, strings (with enums), nullable numbers (`anyOf [.., null]`), tuples of
 * numbers (`prefixItems`), lists of integers, and nested objects through `$ref`.
 */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

export type FieldKind = "number" | "integer" | "boolean" | "choice" | "text" | "numbers" | "integers";

export interface Field {
  /** Dotted path in the config: "optimizer.lr". */
  path: string;
  label: string;
  help?: string;
  kind: FieldKind;
  nullable: boolean;
  choices?: string[];
  min?: number;
  max?: number;
  /** Whether `min` / `max` themselves are allowed. */
  minOpen?: boolean;
  maxOpen?: boolean;
  defaultValue: unknown;
}

export interface Section {
  /** "" for the top level, else the nested object's path ("optimizer"). */
  path: string;
  title: string;
  fields: Field[];
}

/** Names whose spelled-out label reads better than the field's name. */
const SPELLED: Record<string, string> = { lr: "Learning rate", eps: "Epsilon", ece: "Calibration error" };

/** "batch_size" → "Batch size" (pydantic's titles are Title Cased). */
export const labelOf = (name: string) => SPELLED[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, " ");

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/\$defs\//, "");
    return { ...root.$defs?.[name], ...schema, $ref: undefined };
  }
  if (schema.allOf?.length === 1) return { ...resolve(schema.allOf[0], root), ...schema, allOf: undefined };
  return schema;
}

/** The non-null branch of `anyOf [X, null]`, and whether null is allowed. */
function unwrapNullable(schema: JsonSchema, root: JsonSchema): [JsonSchema, boolean] {
  const branches = schema.anyOf;
  if (!branches) return [resolve(schema, root), false];
  const real = branches.filter((b) => b.type !== "null");
  const merged = { ...resolve(real[0] ?? {}, root), description: schema.description, default: schema.default, title: schema.title };
  return [merged, real.length < branches.length];
}

function fieldKind(s: JsonSchema): FieldKind {
  if (s.enum) return "choice";
  if (s.type === "boolean") return "boolean";
  if (s.type === "integer") return "integer";
  if (s.type === "number") return "number";
  if (s.type === "array") {
    const item = s.prefixItems?.[0] ?? s.items ?? {};
    return item.type === "integer" ? "integers" : "numbers";
  }
  return "text";
}

function toField(path: string, name: string, raw: JsonSchema, root: JsonSchema): Field {
  const [s, nullable] = unwrapNullable(raw, root);
  return {
    path, label: labelOf(name), help: s.description ?? raw.description, kind: fieldKind(s), nullable,
    choices: s.enum?.map(String),
    min: s.exclusiveMinimum ?? s.minimum, minOpen: s.exclusiveMinimum !== undefined,
    max: s.exclusiveMaximum ?? s.maximum, maxOpen: s.exclusiveMaximum !== undefined,
    defaultValue: raw.default ?? s.default ?? null,
  };
}

/** The form's sections: the top-level fields first, then one per nested object, in schema order. */
export function sectionsOf(root: JsonSchema): Section[] {
  const top: Section = { path: "", title: "", fields: [] };
  const nested: Section[] = [];
  for (const [name, raw] of Object.entries(root.properties ?? {})) {
    const s = resolve(raw, root);
    if (s.properties) {
      nested.push({
        path: name, title: raw.description ?? labelOf(name),
        fields: Object.entries(s.properties).map(([child, cs]) => toField(`${name}.${child}`, child, cs, root)),
      });
    } else {
      top.fields.push(toField(name, name, raw, root));
    }
  }
  return [top, ...nested].filter((sec) => sec.fields.length);
}

/** Every field's default, as a nested config object. */
export function defaultsOf(root: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const section of sectionsOf(root)) for (const f of section.fields) setAt(out, f.path, f.defaultValue);
  return out;
}

export function getAt(obj: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** A copy of `obj` with `path` set to `value` (nested objects copied on the way). */
export function setAt(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split(".");
  if (!rest.length) {
    obj[head] = value;
    return obj;
  }
  const child = { ...((obj[head] as Record<string, unknown>) ?? {}) };
  obj[head] = setAt(child, rest.join("."), value);
  return obj;
}

export const withValue = (config: Record<string, unknown>, path: string, value: unknown) => setAt({ ...config }, path, value);

/** Only what differs from the defaults: what a launch needs to send and a person to read. */
export function changedFrom(config: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    const d = defaults[k];
    if (v && typeof v === "object" && !Array.isArray(v) && d && typeof d === "object") {
      const inner = changedFrom(v as Record<string, unknown>, d as Record<string, unknown>);
      if (Object.keys(inner).length) out[k] = inner;
    } else if (JSON.stringify(v) !== JSON.stringify(d)) {
      out[k] = v;
    }
  }
  return out;
}

/** Text typed in a field → the config value (undefined: not a valid entry yet). */
export function parseEntry(field: Field, text: string): unknown {
  const t = text.trim();
  if (t === "") return field.nullable ? null : undefined;
  if (field.kind === "number" || field.kind === "integer") {
    const n = Number(t);
    if (!Number.isFinite(n) || (field.kind === "integer" && !Number.isInteger(n))) return undefined;
    return n;
  }
  if (field.kind === "numbers" || field.kind === "integers") {
    const parts = t.split(/[,\s]+/).filter(Boolean).map(Number);
    if (parts.some((n) => !Number.isFinite(n) || (field.kind === "integers" && !Number.isInteger(n)))) return undefined;
    return parts;
  }
  return t;
}

export function formatEntry(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

/** The range a number field allows, as a person reads it: "> 0 and ≤ 10". */
export function rangeText(f: Field): string {
  const parts = [];
  if (f.min !== undefined) parts.push(`${f.minOpen ? ">" : "≥"} ${f.min}`);
  if (f.max !== undefined) parts.push(`${f.maxOpen ? "<" : "≤"} ${f.max}`);
  return parts.join(" and ");
}
