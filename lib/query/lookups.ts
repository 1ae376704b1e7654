import sql, { join, raw, type Sql } from "sql-template-tag";
import type { Dialect } from "../dialects/dialect.js";
import { boundValue, type QueryCompiler } from "./compiler.js";
import { UnknownFieldError } from "../errors.js";
import { describe, type Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";

export interface LookupContext {
  readonly column: Sql;
  readonly field: Field;
  readonly dialect: Dialect;
  /** The query being compiled, for right-hand sides that name columns (F expressions). */
  readonly compiler: QueryCompiler;
}

/**
 * One operator of `field__op`: how it checks its right-hand side (when filter() is called, before any
 * SQL), and the SQL it becomes. A new operator is one registerLookup() call.
 */
export interface Lookup {
  readonly name: string;
  prepare(field: Field, value: unknown): unknown;
  build(context: LookupContext, value: unknown): Sql;
  /**
   * For the statement cache (statement-cache.ts): pushes the field values `build` binds, in order, onto
   * `parameters`, and returns what else of `value` its SQL text depends on ("" for nothing), or undefined
   * where the text cannot be reused (an expression). Without it, a query using this lookup is compiled every time.
   */
  reuse?(value: unknown, parameters: unknown[]): string | undefined;
}

const registry = new Map<string, Lookup>();

export function registerLookup(lookup: Lookup): void {
  registry.set(lookup.name, lookup);
}

export function findLookup(name: string): Lookup | undefined {
  return registry.get(name);
}

export function lookupNames(): string[] {
  return [...registry.keys()];
}

export function unknownLookup(model: string, key: string, name: string): UnknownFieldError {
  return new UnknownFieldError(`${model}: unknown lookup "${name}" in ${JSON.stringify(key)}; lookups are: ${lookupNames().join(", ")}`);
}

/** A bound parameter holding the field's value as its database stores it. */
export function parameter(context: LookupContext, value: unknown): Sql {
  if (isExpression(value)) return value.toSql(context.compiler);
  return context.compiler.value(context.field, value);
}

/** Something that renders itself to SQL in a query, on the right-hand side of a lookup or an update (an F expression). */
export interface Expression {
  toSql(compiler: QueryCompiler): Sql;
  /**
   * The expression with its names checked against the queried model (UnknownFieldError before any SQL),
   * called when a QuerySet receives it in filter(), exclude(), get() or update().
   */
  bind?(meta: ModelMeta): Expression;
}

export function isExpression(value: unknown): value is Expression {
  return typeof value === "object" && value !== null && typeof (value as Expression).toSql === "function";
}

/** A right-hand side that stands for rows rather than one value: `orm.Subquery(...)` (or a QuerySet) after `__in`. */
export interface RowsExpression extends Expression {
  /** The SELECT of the rows, in a form this database takes inside IN (...). */
  rowsSql(compiler: QueryCompiler): Sql;
}

function isRowsExpression(value: unknown): value is RowsExpression {
  return isExpression(value) && typeof (value as Partial<RowsExpression>).rowsSql === "function";
}

function scalar(field: Field, value: unknown): unknown {
  if (isExpression(value)) return value;
  if (value === null) throw field.invalid("cannot be compared with null by this lookup: use isnull");
  return field.validateLookup(value);
}

function comparison(name: string, operator: string): Lookup {
  return {
    name,
    prepare: scalar,
    build: (context, value) => sql`${context.column} ${raw(operator)} ${parameter(context, value)}`,
    reuse: reuseScalar,
  };
}

/** `reuse` for lookups that bind their value as it is. */
function reuseScalar(value: unknown, parameters: unknown[]): string | undefined {
  if (isExpression(value)) return undefined;
  parameters.push(value);
  return "";
}

/** `reuse` for lookups that bind each item of a list as it is: the text depends on how many. */
function reuseItems(value: unknown, parameters: unknown[]): string | undefined {
  for (const item of value as unknown[]) {
    if (isExpression(item)) return undefined;
    parameters.push(item);
  }
  return String((value as unknown[]).length);
}

/** Past this many items an __in list is sent as one parameter (Dialect.inList), below every database's bind limit. */
const LONG_LIST = 1_000;

function text(field: Field, value: unknown): string {
  if (typeof value !== "string") throw field.invalid(`needs a string to match against, got ${describe(value)}`);
  if (value.includes("\u0000")) throw field.invalid("may not be matched against the NUL character (\\u0000)");
  return value;
}

function textMatch(name: string, position: "whole" | "start" | "end" | "anywhere", caseInsensitive: boolean): Lookup {
  return {
    name,
    prepare: text,
    build: (context, value) => context.dialect.textMatch(context.column, value as string, position, caseInsensitive),
  };
}

registerLookup({
  name: "exact",
  prepare: (field, value) => (value === null ? null : scalar(field, value)),
  build: (context, value) => (value === null ? sql`${context.column} IS NULL` : sql`${context.column} = ${parameter(context, value)}`),
  reuse: (value, parameters) => (value === null ? "null" : reuseScalar(value, parameters)),
});
registerLookup(textMatch("iexact", "whole", true));
registerLookup(textMatch("contains", "anywhere", false));
registerLookup(textMatch("icontains", "anywhere", true));
registerLookup(textMatch("startswith", "start", false));
registerLookup(textMatch("istartswith", "start", true));
registerLookup(textMatch("endswith", "end", false));
registerLookup(textMatch("iendswith", "end", true));
registerLookup(comparison("lt", "<"));
registerLookup(comparison("lte", "<="));
registerLookup(comparison("gt", ">"));
registerLookup(comparison("gte", ">="));
registerLookup({
  name: "in",
  prepare(field, value) {
    if (isRowsExpression(value)) return value;
    if (!Array.isArray(value) && !(value instanceof Set)) throw field.invalid(`__in needs an array, a QuerySet or orm.Subquery(...), got ${describe(value)}`);
    return [...value].map((item) => scalar(field, item));
  },
  build(context, value) {
    if (isRowsExpression(value)) return sql`${context.column} IN (${value.rowsSql(context.compiler)})`;
    const items = value as unknown[];
    // IN () is a syntax error; an empty list matches nothing.
    if (items.length === 0) return sql`1 = 0`;
    if (items.length > LONG_LIST && !items.some(isExpression)) {
      return context.dialect.inList(context.column, items.map((item) => boundValue(context.dialect, context.field, item)));
    }
    return sql`${context.column} IN (${join(items.map((item) => parameter(context, item)))})`;
  },
  // A long list is one parameter in a text of its own; the stored texts are for the short ones.
  reuse: (value, parameters) => (isRowsExpression(value) || (value as unknown[]).length > LONG_LIST ? undefined : reuseItems(value, parameters)),
});
registerLookup({
  name: "range",
  prepare(field, value) {
    if (!Array.isArray(value) || value.length !== 2) throw field.invalid(`__range needs a [low, high] pair, got ${describe(value)}`);
    return value.map((item) => scalar(field, item));
  },
  build(context, value) {
    const [low, high] = value as [unknown, unknown];
    return sql`${context.column} BETWEEN ${parameter(context, low)} AND ${parameter(context, high)}`;
  },
  reuse: reuseItems,
});
registerLookup({
  name: "isnull",
  prepare(field, value) {
    if (typeof value !== "boolean") throw field.invalid(`__isnull needs true or false, got ${describe(value)}`);
    return value;
  },
  build: (context, value) => (value ? sql`${context.column} IS NULL` : sql`${context.column} IS NOT NULL`),
  reuse: (value) => String(value),
});


