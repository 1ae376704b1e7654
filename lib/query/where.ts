import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import { ValidationError } from "../errors.js";
import { bindValue } from "./expressions.js";
import { findLookup, unknownLookup, type Lookup } from "./lookups.js";
import { resolvePath, type RelationStep } from "./paths.js";
import { lookupShapeKey } from "./statement-cache.js";

/** A resolved filter: every name checked against the model, every value checked against its field. */
export type Condition =
  | {
      readonly kind: "lookup";
      readonly steps: readonly RelationStep[];
      readonly field: Field;
      readonly lookup: Lookup;
      readonly value: unknown;
      /** Its part of a statement-cache key but for the value's shape, where it came from a cached key. */
      readonly shapeKey?: string;
    }
  | { readonly kind: "and" | "or"; readonly children: readonly Condition[] }
  | { readonly kind: "not"; readonly child: Condition };

export type LookupObject = Record<string, unknown>;

/** `Q.or({...}, {...})`, `Q.and(...)`, `Q.not(...)`: conditions that combine, resolved when a QuerySet takes them. */
export class Q {
  private constructor(
    readonly kind: "and" | "or" | "not",
    readonly children: readonly (LookupObject | Q)[],
  ) {}

  static or(...conditions: (LookupObject | Q)[]): Q {
    return new Q("or", conditions);
  }

  static and(...conditions: (LookupObject | Q)[]): Q {
    return new Q("and", conditions);
  }

  static not(...conditions: (LookupObject | Q)[]): Q {
    return new Q("not", conditions);
  }
}

/** How deep Q objects may nest: far beyond any written query, well within the stack the compiler needs. */
export const MAX_Q_DEPTH = 200;

export function resolveCondition(meta: ModelMeta, condition: LookupObject | Q, depth = 0): Condition {
  if (condition instanceof Q) {
    if (depth >= MAX_Q_DEPTH) {
      throw new ValidationError(`${meta.name}: Q conditions are nested more than ${MAX_Q_DEPTH} levels deep; combine them side by side (Q.or(a, b, c)) rather than one inside another`, meta.name);
    }
    const children = condition.children.map((child) => resolveCondition(meta, child, depth + 1));
    if (condition.kind === "not") return { kind: "not", child: { kind: "and", children } };
    return { kind: condition.kind, children };
  }
  if (condition === null || typeof condition !== "object" || Array.isArray(condition)) {
    throw new ValidationError(`${meta.name}: a filter is an object of lookups such as { name__icontains: "x" }, got ${Array.isArray(condition) ? "an array" : String(condition)}`, meta.name);
  }
  const children: Condition[] = [];
  for (const key in condition) {
    // Own keys only: a key set on Object.prototype (a polluted dependency) must not become a condition.
    if (!Object.hasOwn(condition, key)) continue;
    const resolved = resolveKey(meta, key);
    const { steps, field, lookup, shapeKey } = resolved;
    children.push({ kind: "lookup", steps, field, lookup, value: lookupValue(meta, key, resolved, condition[key]), shapeKey });
  }
  return children.length === 1 ? children[0]! : { kind: "and", children };
}

/** A lookup's value checked against its field (ValidationError before any SQL), expressions bound to the model. */
export function lookupValue(meta: ModelMeta, key: string, { field, lookup }: ResolvedKey, value: unknown): unknown {
  if (value === undefined) throw new ValidationError(`${meta.name}: the lookup ${JSON.stringify(key)} was given undefined`, meta.name, key);
  return bindValue(meta, lookup.prepare(field, value));
}

export type ResolvedKey = { readonly steps: readonly RelationStep[]; readonly field: Field; readonly lookup: Lookup; readonly shapeKey: string };

/** Keys already resolved, by model: a filter key names the same path every time (only successes are kept). */
const resolvedKeys = new WeakMap<ModelMeta, Map<string, ResolvedKey>>();

/** `album__name__iexact`: relation hops, then a field, then (optionally) an operator. */
export function resolveKey(meta: ModelMeta, key: string): ResolvedKey {
  let byKey = resolvedKeys.get(meta);
  const known = byKey?.get(key);
  if (known) return known;
  const parts = key.split("__");
  let lookup = findLookup(parts[parts.length - 1]!);
  if (lookup && parts.length > 1) parts.pop();
  else lookup = findLookup("exact")!;
  const { steps, field, rest } = resolvePath(meta, parts, key);
  if (rest.length > 0) throw unknownLookup(field.owner.name, key, rest.join("__"));
  if (!byKey) resolvedKeys.set(meta, (byKey = new Map()));
  const resolved = { steps, field, lookup, shapeKey: lookupShapeKey(steps, field, lookup) };
  if (byKey.size < 1000) byKey.set(key, resolved);
  return resolved;
}
