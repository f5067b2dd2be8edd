/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracket
 * nesting (`metadata[tenant_id]=t1`, `line_items[0][price]=p`,
 * `subscription_data[metadata][k]=v`, `expand[]=customer`), decoded into
 * plain objects and arrays, plus typed readers that fail the way Stripe does
 * (400 with the offending `param`).
 */
import { invalidRequest, unknownParameter } from './errors.ts';

export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

const MAX_PAIRS = 2_000;
const MAX_DEPTH = 8;
const KEY_SHAPE = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;
const INDEX = /^(0|[1-9]\d{0,5})$/;

type Node = Map<string, Node | string>;

/** Splits `a[b][0][]` into `['a', 'b', '0', '']`; `''` means "append". */
function parseKey(rawKey: string): string[] {
  const match = KEY_SHAPE.exec(rawKey);
  if (!match) throw invalidRequest(`Invalid parameter name: ${rawKey}`, rawKey);
  const segments = [match[1] as string];
  for (const bracket of (match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)) segments.push(bracket[1] ?? '');
  if (segments.length > MAX_DEPTH) throw invalidRequest(`Parameter nested too deeply: ${rawKey}`, rawKey);
  if (segments.includes('__proto__')) throw invalidRequest(`Invalid parameter name: ${rawKey}`, rawKey);
  return segments;
}

function insert(root: Node, segments: string[], value: string, rawKey: string): void {
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] === '' ? String(node.size) : (segments[i] as string);
    const last = i === segments.length - 1;
    const existing = node.get(segment);
    if (last) {
      if (existing !== undefined) {
        throw invalidRequest(`Received ${rawKey} more than once, or as both a value and a hash.`, rawKey);
      }
      node.set(segment, value);
      return;
    }
    if (typeof existing === 'string') {
      throw invalidRequest(`Received ${rawKey} but ${segments.slice(0, i + 1).join('.')} is already a value.`, rawKey);
    }
    const child: Node = existing ?? new Map();
    node.set(segment, child);
    node = child;
  }
}

/**
 * A hash whose keys are all indices becomes an array (in index order), as
 * Stripe reads `items[0][id]`. Metadata keeps its keys as given: `metadata[0]`
 * is a key named "0", not an array.
 */
function finalize(node: Node, ownKey: string | undefined): FormValue {
  const entries = [...node.entries()].map(([key, child]): [string, FormValue] => [
    key,
    typeof child === 'string' ? child : finalize(child, key),
  ]);
  const isArray = ownKey !== 'metadata' && entries.length > 0 && entries.every(([key]) => INDEX.test(key));
  if (isArray) return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, value]) => value);
  return Object.fromEntries(entries);
}

export function decodeForm(encoded: string): FormObject {
  const root: Node = new Map();
  let pairs = 0;
  for (const [rawKey, value] of new URLSearchParams(encoded)) {
    if (++pairs > MAX_PAIRS) throw invalidRequest('Too many parameters in one request.');
    insert(root, parseKey(rawKey), value, rawKey);
  }
  const decoded = finalize(root, undefined);
  return Array.isArray(decoded) || typeof decoded === 'string' ? {} : decoded;
}

/** An empty string clears a field in Stripe's update semantics (`metadata[k]=` removes k). */
export type MetadataUpdate = Record<string, string> | 'clear';

/**
 * Typed, Stripe-flavoured access to decoded parameters. Every reader names the
 * full parameter path (`line_items[0][quantity]`) in its error.
 */
export class Params {
  readonly data: FormObject;
  readonly prefix: string;

  constructor(data: FormObject, prefix = '') {
    this.data = data;
    this.prefix = prefix;
  }

  name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.data, key);
  }

  /** Rejects parameters this endpoint does not implement instead of silently ignoring them. */
  only(allowed: readonly string[]): this {
    for (const key of Object.keys(this.data)) {
      if (!allowed.includes(key)) throw unknownParameter(this.name(key));
    }
    return this;
  }

  string(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const value = this.data[key];
    if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${this.name(key)} must be a string.`, this.name(key));
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') {
      throw invalidRequest(`Missing required param: ${this.name(key)}.`, this.name(key), 'parameter_missing');
    }
    return value;
  }

  /** A string where `''` means "unset" (returns null). */
  nullableString(key: string): string | null | undefined {
    const value = this.string(key);
    return value === '' ? null : value;
  }

  integer(key: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    if (!/^-?\d+$/.test(raw)) {
      throw invalidRequest(`Invalid integer: ${raw}`, this.name(key), 'parameter_invalid_integer');
    }
    const value = Number(raw);
    if (value < min || value > max) {
      throw invalidRequest(
        `This value must be between ${min} and ${max} (${this.name(key)}=${raw}).`,
        this.name(key),
        'parameter_invalid_integer',
      );
    }
    return value;
  }

  boolean(key: string): boolean | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    if (raw !== 'true' && raw !== 'false') throw invalidRequest(`Invalid boolean: ${raw}`, this.name(key));
    return raw === 'true';
  }

  oneOf<const T extends string>(key: string, values: readonly T[]): T | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    if (!(values as readonly string[]).includes(raw)) {
      throw invalidRequest(`Invalid ${this.name(key)}: must be one of ${values.join(', ')}`, this.name(key));
    }
    return raw as T;
  }

  object(key: string): Params | undefined {
    if (!this.has(key)) return undefined;
    const value = this.data[key];
    if (value === '') return new Params({}, this.name(key));
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw invalidRequest(`Invalid hash: ${this.name(key)} must be a hash.`, this.name(key));
    }
    return new Params(value, this.name(key));
  }

  /** An array of hashes, e.g. `line_items[0][price]`. */
  objects(key: string): Params[] | undefined {
    if (!this.has(key)) return undefined;
    const value = this.data[key];
    if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${this.name(key)} must be an array.`, this.name(key));
    return value.map((element, index) => {
      const name = `${this.name(key)}[${index}]`;
      if (typeof element !== 'object' || Array.isArray(element)) {
        throw invalidRequest(`Invalid hash: ${name} must be a hash.`, name);
      }
      return new Params(element, name);
    });
  }

  /** An array of strings, e.g. `expand[0]=customer` or `expand[]=customer`. */
  strings(key: string): string[] {
    if (!this.has(key)) return [];
    const value = this.data[key];
    if (!Array.isArray(value) || value.some((element) => typeof element !== 'string')) {
      throw invalidRequest(`Invalid array: ${this.name(key)} must be an array of strings.`, this.name(key));
    }
    return value as string[];
  }

  /** Stripe's metadata rules: at most 50 keys, keys up to 40 characters, string values up to 500. */
  metadata(key = 'metadata'): MetadataUpdate | undefined {
    if (!this.has(key)) return undefined;
    const value = this.data[key];
    if (value === '') return 'clear';
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw invalidRequest(`Invalid hash: ${this.name(key)} must be a hash.`, this.name(key));
    }
    const entries = Object.entries(value);
    if (entries.length > 50) throw invalidRequest('Metadata can have at most 50 keys.', this.name(key));
    for (const [metaKey, metaValue] of entries) {
      const name = `${this.name(key)}[${metaKey}]`;
      if (typeof metaValue !== 'string') throw invalidRequest(`Invalid string: ${name} must be a string.`, name);
      if (metaKey.length > 40) throw invalidRequest(`Metadata keys can be at most 40 characters (${metaKey}).`, name);
      if (metaValue.length > 500) throw invalidRequest(`Metadata values can be at most 500 characters (${metaKey}).`, name);
    }
    return value as Record<string, string>;
  }
}

/** Applies a metadata update: keys with `''` are removed, `'clear'` removes all. */
export function applyMetadata(current: Record<string, string>, update: MetadataUpdate | undefined): Record<string, string> {
  if (update === undefined) return current;
  if (update === 'clear') return {};
  const next = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}
