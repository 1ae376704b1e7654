import sql, { type Sql } from "sql-template-tag";
import type { Dialect } from "../dialects/dialect.js";
import type { Database } from "../database.js";
import type { Expression } from "./lookups.js";
import type { CompiledQuery } from "../drivers/driver.js";
import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import { QueryCompiler, boundValue, type AnnotatedColumn, type Ordering, type QueryState, type RelatedColumns, type SelectedColumn } from "./compiler.js";
import type { RelationStep } from "./paths.js";
import type { Lookup } from "./lookups.js";
import type { Condition } from "./where.js";

/** A SELECT ready to send, and how its rows read back. */
export interface CompiledSelect {
  readonly query: CompiledQuery;
  readonly columns: readonly SelectedColumn[];
  readonly related: readonly RelatedColumns[];
  readonly annotations: readonly AnnotatedColumn[];
  /** The text serves every query of this shape: its values are the conditions' values, in order, as the lookups bind them. */
  readonly reusable: boolean;
}

/** What one statement of one query shape compiles to, whatever the values: the text, and what reads its rows. */
interface Template<Plan> {
  readonly text: string;
  readonly plan: Plan;
}

/** How a SELECT's rows read back. */
type SelectPlan = Pick<CompiledSelect, "columns" | "related" | "annotations">;

/** Shapes kept per model; past it the oldest goes (a program has few shapes, but `in` lists vary in length). */
const MAX_SHAPES = 500;
/** By model, by statement and shape: the template, or null for a shape whose values did not come out as predicted. */
const templates = new WeakMap<ModelMeta, Map<string, Template<unknown> | null>>();
const SEPARATOR = "\u0000";

/**
 * The SELECT of a QuerySet's state, compiled once per shape (which fields, lookups, relations, ordering,
 * limit; not the values): later queries of that shape only bind their values to the stored text, so
 * `get({ pk })` in a loop builds no SQL. States the cache cannot describe (values(), annotations,
 * expressions, lookups without `reuse`) compile every time, as before.
 */
export function compileSelect(meta: ModelMeta, state: QueryState, database: Database): CompiledSelect {
  const { query, plan, reusable } = compileShape<SelectPlan>(meta, database, "select", state, [], (compiler) => {
    const { statement, ...plan } = compiler.select(state);
    return { statement, plan };
  });
  return { query, columns: plan.columns, related: plan.related, annotations: plan.annotations, reusable };
}

/**
 * count(), exists(), delete() and update() of plain values, cached like compileSelect: `statement` names
 * what is compiled (with the fields an UPDATE sets), `leading` are the values bound ahead of the WHERE's.
 */
export function compileStatement(
  meta: ModelMeta,
  database: Database,
  statement: string,
  state: QueryState,
  build: (compiler: QueryCompiler) => Sql,
  leading: readonly unknown[] = [],
): CompiledQuery {
  return compileShape(meta, database, statement, state, leading, (compiler) => ({ statement: build(compiler), plan: undefined })).query;
}

/**
 * UPDATE of the rows of `state`: plain values, already validated, bind ahead of the WHERE's, each encoded once, and
 * the text is cached per shape and set of fields; expressions (F("views").add(1)) compile every time.
 */
export function compileUpdate(
  meta: ModelMeta,
  database: Database,
  state: QueryState,
  assigned: readonly (readonly [Field, unknown])[],
  expressions: readonly (readonly [Field, Expression])[] = [],
): CompiledQuery {
  const encoded = assigned.map(([field, value]) => boundValue(database.dialect, field, value));
  const build = (compiler: QueryCompiler) =>
    compiler.update(state, [
      ...assigned.map(([field], index) => [field, sql`${encoded[index]}`] as const),
      ...expressions.map(([field, expression]) => [field, expression.toSql(compiler)] as const),
    ]);
  if (expressions.length > 0) return database.compile(build(new QueryCompiler(meta, database.dialect)));
  return compileStatement(meta, database, `update ${assigned.map(([field]) => field.slot).join(",")}`, state, build, encoded);
}

function compileShape<Plan>(
  meta: ModelMeta,
  database: Database,
  statement: string,
  state: QueryState,
  leading: readonly unknown[],
  compile: (compiler: QueryCompiler) => { statement: Sql; plan: Plan },
): { query: CompiledQuery; plan: Plan; reusable: boolean } {
  const values = leading.slice();
  const key = state.values || state.annotations.length > 0 ? undefined : shapeKey(database.dialect, dialectKey(meta, database.dialect, statement), state, values);
  let byShape = templates.get(meta);
  const template = key === undefined ? undefined : (byShape?.get(key) as Template<Plan> | null | undefined);
  if (template) return { query: { text: template.text, values }, plan: template.plan, reusable: true };
  const compiled = compile(new QueryCompiler(meta, database.dialect));
  const query = database.compile(compiled.statement);
  if (key === undefined || template === null) return { query, plan: compiled.plan, reusable: false };
  if (!byShape) templates.set(meta, (byShape = new Map()));
  if (byShape.size >= MAX_SHAPES) byShape.delete(byShape.keys().next().value!);
  // The values predicted from the state must be exactly those the compiler bound, or the shape is never reused.
  const predicted = values.length === query.values.length && values.every((value, index) => Object.is(value, query.values[index]));
  byShape.set(key, predicted ? { text: query.text, plan: compiled.plan } : null);
  return { query, plan: compiled.plan, reusable: predicted };
}

/**
 * A cache key for a model's statement compiled for `dialect`: the key itself for the model's own database's dialect,
 * else prefixed with the dialect's name, so that no text compiled for one dialect is ever sent to another.
 */
export function dialectKey(meta: ModelMeta, dialect: Dialect, key: string): string {
  return dialect === meta.database.dialect ? key : `${dialect.name}${SEPARATOR}${key}`;
}

/** The statement's and state's shape as a string, its bound values pushed onto `values` in statement order; undefined if not describable. */
function shapeKey(dialect: Dialect, statement: string, state: QueryState, values: unknown[]): string | undefined {
  let key = statement + SEPARATOR;
  for (const condition of state.conditions) {
    const part = conditionKey(dialect, condition, values);
    if (part === undefined) return undefined;
    key += part;
  }
  key += "|";
  for (const steps of state.related) key += pathKey(steps) + SEPARATOR;
  key += "|";
  for (const term of state.ordering) {
    if (term.annotation) return undefined;
    key += orderingShapeKey(term);
  }
  key += `|${state.limit ?? ""}|${state.offset ?? ""}|${state.distinct ? "d" : ""}|`;
  if (state.distinctOn.length > 0) return undefined;
  if (state.lock) key += `${state.lock.skipLocked ? "s" : ""}${state.lock.noWait ? "n" : ""}${state.lock.of.map(pathKey).join(",")}|`;
  if (state.fields) for (const field of state.fields) key += field.name + SEPARATOR;
  return key;
}

function conditionKey(dialect: Dialect, condition: Condition, values: unknown[]): string | undefined {
  switch (condition.kind) {
    case "lookup": {
      const { lookup, field } = condition;
      const shape = bindReused(dialect, field, lookup, condition.value, values);
      if (shape === undefined) return undefined;
      return (condition.shapeKey ?? lookupShapeKey(condition.steps, field, lookup)) + shape + SEPARATOR;
    }
    case "and":
    case "or": {
      let key = `(${condition.kind}`;
      for (const child of condition.children) {
        const part = conditionKey(dialect, child, values);
        if (part === undefined) return undefined;
        key += part;
      }
      return `${key})`;
    }
    case "not": {
      const part = conditionKey(dialect, condition.child, values);
      return part === undefined ? undefined : `(not${part})`;
    }
    default:
      return undefined;
  }
}

/**
 * Pushes a lookup's value onto `values` as a reused text binds it; returns the shape of text that needs
 * (an `in` list's length, say), or undefined where no stored text can serve it (an expression).
 */
export function bindReused(dialect: Dialect, field: Field, lookup: Lookup, value: unknown, values: unknown[]): string | undefined {
  if (!lookup.reuse) return undefined;
  const start = values.length;
  const shape = lookup.reuse(value, values);
  if (shape === undefined) return undefined;
  for (let index = start; index < values.length; index++) values[index] = boundValue(dialect, field, values[index]);
  return shape;
}

/** A lookup's part of a shape key, but for its value's shape: made once per resolved key. */
export function lookupShapeKey(steps: readonly RelationStep[], field: Field, lookup: Lookup): string {
  return `${pathKey(steps)}.${field.name}${SEPARATOR}${lookup.name}${SEPARATOR}`;
}

/** Ordering terms' parts of shape keys: orderBy() hands out the same term object for the same name. */
const orderingKeys = new WeakMap<Ordering, string>();

function orderingShapeKey(term: Ordering): string {
  let key = orderingKeys.get(term);
  if (key === undefined) orderingKeys.set(term, (key = `${pathKey(term.steps)}.${term.field.name}${term.transform ? `__${term.transform.part}` : ""}${term.descending ? "-" : "+"}${term.nulls ?? ""}${SEPARATOR}`));
  return key;
}

function pathKey(steps: readonly RelationStep[]): string {
  let key = "";
  for (const step of steps) key += `${step.name}/`;
  return key;
}
