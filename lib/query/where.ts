import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import { ownsKey } from "../model/reserved-names.js";
import { ValidationError } from "../errors.js";
import type { Annotation } from "./compiler.js";
import { bindExpression, bindValue } from "./expressions.js";
import { findLookup, isExpression, unknownLookup, type Expression, type Lookup } from "./lookups.js";
import { resolvePath, type RelationStep } from "./paths.js";
import { subqueryOf } from "./subqueries.js";
import { lookupShapeKey } from "./statement-cache.js";
import { findTransform, type Transform } from "./transforms.js";

/** A resolved `field__op: value`. */
export interface LookupCondition {
  readonly kind: "lookup";
  readonly steps: readonly RelationStep[];
  /** The field compared: its validation checks the value (a transform's or an annotation's own field where there is one). */
  readonly field: Field;
  readonly lookup: Lookup;
  readonly value: unknown;
  /** Its part of a statement-cache key but for the value's shape, where it came from a cached key. */
  readonly shapeKey?: string;
  /** A part of the column is compared (`created__year`), not the column. */
  readonly transform?: Transform;
  /** A value annotate() added is compared (`n__gte` after annotate({ n: ... })); `steps` is then empty. */
  readonly annotation?: Annotation;
}

/** A resolved filter: every name checked against the model, every value checked against its field. */
export type Condition =
  | LookupCondition
  | { readonly kind: "and" | "or"; readonly children: readonly Condition[] }
  | { readonly kind: "not"; readonly child: Condition }
  /** A boolean expression standing as a condition: `filter(orm.Exists(...))`. */
  | { readonly kind: "expression"; readonly expression: Expression };

export type LookupObject = Record<string, unknown>;

/** Conditions combined by Q(...), Q.or, Q.and or Q.not: resolved when a QuerySet takes them. */
class Combined {
  constructor(
    readonly kind: "and" | "or" | "not",
    readonly children: readonly ConditionInput[],
  ) {}
}

/** A Q condition: what `Q(...)`, `Q.or(...)`, `Q.and(...)` and `Q.not(...)` return. */
export type Q = Combined;

interface QFunction {
  /** `Q({ a: 1 }, { b: 2 })`, as Django writes it: every condition holds (the same as Q.and). */
  (...conditions: ConditionInput[]): Q;
  new (...conditions: ConditionInput[]): Q;
  or(...conditions: ConditionInput[]): Q;
  and(...conditions: ConditionInput[]): Q;
  not(...conditions: ConditionInput[]): Q;
}

/**
 * `Q({...})`, `Q.or({...}, {...})`, `Q.and(...)`, `Q.not(...)`: conditions that combine. A function, not a class,
 * so that Django's `Q(...)` reads the same here; `value instanceof Q` still tells a Q condition.
 */
export const Q: QFunction = Object.assign(
  function Q(...conditions: ConditionInput[]): Q {
    return new Combined("and", conditions);
  } as QFunction,
  {
    or: (...conditions: ConditionInput[]): Q => new Combined("or", conditions),
    and: (...conditions: ConditionInput[]): Q => new Combined("and", conditions),
    not: (...conditions: ConditionInput[]): Q => new Combined("not", conditions),
    // `value instanceof Q` reads this.
    prototype: Combined.prototype,
  },
);

/** How deep Q objects may nest: far beyond any written query, well within the stack the compiler needs. */
export const MAX_Q_DEPTH = 200;

/** What filter(), exclude(), Q and When take: lookups, a Q, or a boolean expression such as orm.Exists(...). */
export type ConditionInput = LookupObject | Q | Expression;

/** Checks a filter against the model; names annotate() added (`annotations`) can be compared too. */
export function resolveCondition(meta: ModelMeta, condition: ConditionInput, annotations: readonly Annotation[] = [], depth = 0): Condition {
  if (condition instanceof Q) {
    if (depth >= MAX_Q_DEPTH) {
      throw new ValidationError(`${meta.name}: Q conditions are nested more than ${MAX_Q_DEPTH} levels deep; combine them side by side (Q.or(a, b, c)) rather than one inside another`, meta.name);
    }
    const children = condition.children.map((child) => resolveCondition(meta, child, annotations, depth + 1));
    if (condition.kind === "not") return { kind: "not", child: { kind: "and", children } };
    return { kind: condition.kind, children };
  }
  if (isExpression(condition)) return { kind: "expression", expression: bindExpression(meta, condition) };
  if (condition === null || typeof condition !== "object" || Array.isArray(condition)) {
    throw new ValidationError(`${meta.name}: a filter is an object of lookups such as { name__icontains: "x" }, got ${Array.isArray(condition) ? "an array" : String(condition)}`, meta.name);
  }
  const children: Condition[] = [];
  for (const key in condition) {
    // Own keys only: a key set on Object.prototype (a polluted dependency) must not become a condition.
    if (!ownsKey(condition, key)) continue;
    const annotation = annotations.length === 0 ? undefined : annotationLookup(meta, annotations, key);
    if (annotation) {
      children.push({ ...annotation, value: lookupValue(meta, key, annotation, condition[key]) });
      continue;
    }
    const resolved = resolveKey(meta, key);
    const { steps, field, lookup, shapeKey, transform } = resolved;
    children.push({ kind: "lookup", steps, field, lookup, value: lookupValue(meta, key, resolved, condition[key]), shapeKey, transform });
  }
  return children.length === 1 ? children[0]! : { kind: "and", children };
}

/** A lookup's value checked against its field (ValidationError before any SQL), expressions bound to the model. */
export function lookupValue(meta: ModelMeta, key: string, { field, lookup }: Pick<ResolvedKey, "field" | "lookup">, value: unknown): unknown {
  if (value === undefined) throw new ValidationError(`${meta.name}: the lookup ${JSON.stringify(key)} was given undefined`, meta.name, key);
  return bindValue(meta, lookup.prepare(field, subqueryOf(value)));
}

export type ResolvedKey = {
  readonly steps: readonly RelationStep[];
  readonly field: Field;
  readonly lookup: Lookup;
  readonly shapeKey: string;
  readonly transform?: Transform;
};

/** `n__gte` where annotate() added `n`: the annotation and the lookup, or undefined where `key` names no annotation. */
function annotationLookup(meta: ModelMeta, annotations: readonly Annotation[], key: string): Omit<LookupCondition, "value"> | undefined {
  const [name, operator, ...more] = key.split("__");
  const annotation = annotations.find((known) => known.name === name);
  if (!annotation) return undefined;
  const lookup = findLookup(operator ?? "exact");
  if (!lookup || more.length > 0) throw unknownLookup(meta.name, key, [operator, ...more].join("__"));
  return { kind: "lookup", steps: [], field: annotation.expression.output, lookup, annotation };
}

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
  const transform = rest.length === 1 ? findTransform(field, rest[0]!, key) : undefined;
  if (rest.length > 0 && !transform) throw unknownLookup(field.owner.name, key, rest.join("__"));
  if (!byKey) resolvedKeys.set(meta, (byKey = new Map()));
  const compared = transform?.output ?? field;
  const resolved = { steps, field: compared, lookup, shapeKey: lookupShapeKey(steps, compared, lookup), transform };
  if (byKey.size < 1000) byKey.set(key, resolved);
  return resolved;
}
