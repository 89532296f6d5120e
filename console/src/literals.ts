// Flyte literals and literal types in grpc-gateway JSON: shown as plain values, and built back from the launch
// form's values by the input's type (the same shapes flytekit writes: dataclasses and dicts as msgpack binaries).
import { decode, encode } from "@msgpack/msgpack";

export type LiteralType = any;
export type Literal = any;

const b64encode = (bytes: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
};
const b64decode = (text: string): Uint8Array => {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

/** A short name of a type, as an interface table shows it. */
export function typeLabel(t: LiteralType | undefined): string {
  if (!t) return "?";
  if (t.simple !== undefined && t.simple !== null) {
    if (t.simple === "STRUCT") {
      const title = t.metadata && (t.metadata.title || t.metadata.$ref);
      return title ? `dataclass ${String(title).replace("#/$defs/", "")}` : "struct";
    }
    return String(t.simple).toLowerCase();
  }
  if (t.collection_type) return `list[${typeLabel(t.collection_type)}]`;
  if (t.map_value_type) return `dict[str, ${typeLabel(t.map_value_type)}]`;
  if (t.blob) return t.blob.dimensionality === "MULTIPART" ? "directory" : `file${t.blob.format ? ` (${t.blob.format})` : ""}`;
  if (t.enum_type) return `enum(${(t.enum_type.values || []).join(", ")})`;
  if (t.union_type) return (t.union_type.variants || []).map(typeLabel).join(" | ");
  if (t.structured_dataset_type) return `dataframe${t.structured_dataset_type.format ? ` (${t.structured_dataset_type.format})` : ""}`;
  if (t.schema) return "schema";
  return "unknown";
}

// ---- literal -> value ---------------------------------------------------------------------------------------------

function primitiveValue(p: any): unknown {
  if ("integer" in p) return Number(p.integer);
  if ("float_value" in p) return p.float_value;
  if ("string_value" in p) return p.string_value;
  if ("boolean" in p) return p.boolean;
  if ("datetime" in p) return p.datetime;
  if ("duration" in p) return p.duration;
  return null;
}

/** A literal as a plain JS value (what the user wrote in Python, as near as JSON goes). */
export function literalValue(lit: Literal | undefined): unknown {
  if (!lit) return null;
  if (lit.collection) return (lit.collection.literals || []).map(literalValue);
  if (lit.map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(lit.map.literals || {})) out[k] = literalValue(v);
    return out;
  }
  if (lit.offloaded_metadata) return `(offloaded: ${lit.offloaded_metadata.uri})`;
  const s = lit.scalar;
  if (!s) return null;
  if (s.primitive) return primitiveValue(s.primitive);
  if (s.blob) return s.blob.uri;
  if (s.none_type) return null;
  if (s.generic !== undefined) return s.generic;
  if (s.binary) {
    if (s.binary.tag === "msgpack") {
      try {
        return decode(b64decode(s.binary.value || ""));
      } catch {
        return `(msgpack, ${s.binary.value?.length ?? 0} base64 chars)`;
      }
    }
    return `(binary ${s.binary.tag || ""})`;
  }
  if (s.union) return literalValue(s.union.value);
  if (s.structured_dataset) return s.structured_dataset.uri;
  if (s.schema) return s.schema.uri;
  if (s.error) return `error: ${s.error.message || ""}`;
  return null;
}

export const isComplexValue = (v: unknown) => v !== null && typeof v === "object";

// ---- value -> literal ---------------------------------------------------------------------------------------------

export class InputError extends Error {}

const prim = (p: object): Literal => ({ scalar: { primitive: p } });

/** Builds the literal for `value` as type `t` asks; throws InputError naming what does not fit. */
export function toLiteral(t: LiteralType, value: unknown, where: string): Literal {
  if (t.union_type) {
    const variants: LiteralType[] = t.union_type.variants || [];
    const errors: string[] = [];
    for (const v of variants) {
      if ((value === null || value === undefined || value === "") !== (v.simple === "NONE")) continue;
      try {
        return { scalar: { union: { value: toLiteral(v, value, where), type: v } } };
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    throw new InputError(errors[0] || `${where}: a value of ${typeLabel(t)} is required`);
  }
  if (t.simple !== undefined && t.simple !== null) {
    switch (t.simple) {
      case "NONE":
        return { scalar: { none_type: {} } };
      case "INTEGER": {
        const n = typeof value === "string" ? value.trim() : value;
        if (n === "" || n === null || !/^-?\d+$/.test(String(n))) throw new InputError(`${where}: an integer is required`);
        return prim({ integer: String(n) });
      }
      case "FLOAT": {
        const n = typeof value === "string" ? Number(value.trim()) : value;
        if (typeof n !== "number" || isNaN(n) || value === "") throw new InputError(`${where}: a number is required`);
        return prim({ float_value: n });
      }
      case "STRING":
        if (typeof value !== "string") throw new InputError(`${where}: a string is required`);
        return prim({ string_value: value });
      case "BOOLEAN":
        if (typeof value !== "boolean") throw new InputError(`${where}: true or false is required`);
        return prim({ boolean: value });
      case "DATETIME": {
        const d = new Date(String(value));
        if (value === "" || isNaN(d.getTime())) throw new InputError(`${where}: a date and time is required`);
        return prim({ datetime: d.toISOString() });
      }
      case "DURATION": {
        const n = Number(value);
        if (value === "" || isNaN(n)) throw new InputError(`${where}: a duration in seconds is required`);
        return prim({ duration: `${n}s` });
      }
      case "STRUCT":
        if (value === null || typeof value !== "object" || Array.isArray(value))
          throw new InputError(`${where}: a JSON object is required`);
        return { scalar: { binary: { value: b64encode(encode(value)), tag: "msgpack" } } };
      default:
        throw new InputError(`${where}: inputs of type ${t.simple} cannot be entered in the console`);
    }
  }
  if (t.collection_type) {
    if (!Array.isArray(value)) throw new InputError(`${where}: a JSON list is required`);
    return { collection: { literals: value.map((v, i) => toLiteral(t.collection_type, v, `${where}[${i}]`)) } };
  }
  if (t.map_value_type) {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new InputError(`${where}: a JSON object is required`);
    const literals: Record<string, Literal> = {};
    for (const [k, v] of Object.entries(value)) literals[k] = toLiteral(t.map_value_type, v, `${where}[${k}]`);
    return { map: { literals } };
  }
  if (t.blob) {
    if (typeof value !== "string" || !value) throw new InputError(`${where}: a file is required (upload one or give its URI)`);
    return { scalar: { blob: { metadata: { type: t.blob }, uri: value } } };
  }
  if (t.enum_type) {
    const values: string[] = t.enum_type.values || [];
    if (typeof value !== "string" || !values.includes(value))
      throw new InputError(`${where}: one of ${values.join(", ")} is required`);
    return prim({ string_value: value });
  }
  if (t.structured_dataset_type) {
    if (typeof value !== "string" || !value) throw new InputError(`${where}: the dataset's URI is required`);
    return { scalar: { structured_dataset: { uri: value, metadata: { structured_dataset_type: t.structured_dataset_type } } } };
  }
  throw new InputError(`${where}: inputs of type ${typeLabel(t)} cannot be entered in the console`);
}

/** How the launch form edits a type: which widget, and the type behind an Optional. */
export type FieldKind = "integer" | "float" | "string" | "boolean" | "datetime" | "duration" | "enum" | "file" | "json" | "uri";

export function fieldOf(t: LiteralType): { kind: FieldKind; inner: LiteralType; optional: boolean } {
  let inner = t;
  let optional = false;
  if (t.union_type) {
    const variants: LiteralType[] = t.union_type.variants || [];
    const real = variants.filter((v) => v.simple !== "NONE");
    optional = real.length < variants.length;
    if (real.length === 1) inner = real[0];
    else return { kind: "json", inner: t, optional };
  }
  if (inner.simple !== undefined && inner.simple !== null) {
    const k = ({ INTEGER: "integer", FLOAT: "float", STRING: "string", BOOLEAN: "boolean", DATETIME: "datetime", DURATION: "duration" } as Record<string, FieldKind>)[inner.simple];
    return { kind: k || "json", inner, optional };
  }
  if (inner.enum_type) return { kind: "enum", inner, optional };
  if (inner.blob) return { kind: "file", inner, optional };
  if (inner.structured_dataset_type) return { kind: "uri", inner, optional };
  return { kind: "json", inner, optional };
}

/** The form's text for a default literal. */
export function defaultText(kind: FieldKind, lit: Literal | undefined): string | boolean {
  if (!lit) return kind === "boolean" ? false : "";
  const v = literalValue(lit);
  if (v === null) return kind === "boolean" ? false : "";
  if (kind === "boolean") return Boolean(v);
  if (kind === "duration") return String(v).replace(/s$/, "");
  if (kind === "datetime") {
    const d = new Date(String(v));
    return isNaN(d.getTime()) ? String(v) : d.toISOString().slice(0, 19);
  }
  if (kind === "json") return JSON.stringify(v, null, 2);
  return String(v);
}

/** The form's text back to a value for toLiteral. */
export function parseField(kind: FieldKind, text: string | boolean, where: string): unknown {
  if (kind === "boolean") return Boolean(text);
  if (kind === "json") {
    try {
      return JSON.parse(String(text));
    } catch (e) {
      throw new InputError(`${where}: not valid JSON (${(e as Error).message})`);
    }
  }
  if (kind === "datetime" && text) return String(text).length <= 19 ? `${text}Z` : text;
  return text;
}
