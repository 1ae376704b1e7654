import type { Sql } from "sql-template-tag";
import { ValidationError } from "../errors.js";
import type { Field, FieldOwner } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { QueryCompiler } from "./compiler.js";
import { bindExpression, FieldReference } from "./expressions.js";
import { isExpression, type Expression } from "./lookups.js";

/**
 * A value a query computes for each row: an aggregate, a function such as Lower, a Case, a subquery.
 * What annotate() takes, and what filter() compares with; unbound until a QuerySet receives it.
 * `V` is the JS value it reads back as (types only).
 */
export abstract class Computed<V = unknown> implements Expression {
  declare readonly valueType: V;

  /** Names resolved against the queried model: UnknownFieldError or ValidationError before any SQL. */
  abstract bind(meta: ModelMeta): BoundComputed;

  /** Unbound (nested in another expression, or in a subquery's filter): resolves against the query's model now. */
  toSql(compiler: QueryCompiler): Sql {
    return this.bind(compiler.root.meta).toSql(compiler);
  }
}

/** A Computed bound to a model: its SQL, and how its result reads back. */
export interface BoundComputed extends Expression {
  toSql(compiler: QueryCompiler): Sql;
  /** The JS value of what the database returned for it. */
  decode(value: unknown, compiler: QueryCompiler): unknown;
  /** SQLite must read integers as bigint (a BigInteger's sum or bound) to keep them exact. */
  readonly exactIntegers: boolean;
  /**
   * In this query it aggregates the query's own rows (Count("id") over values() groups): the query groups
   * by the rest, and a filter on it goes in HAVING. An aggregate across a relation on each instance is a
   * subquery per row, so not grouped.
   */
  groups(compiler: QueryCompiler): boolean;
  /**
   * The field whose values it holds, for decoding and for checking what a filter compares it with; a
   * field of no model (its owner is the queried model, its name the expression) where it makes a new value.
   */
  readonly output: Field;
}

export function isComputed(value: unknown): value is Computed {
  return value instanceof Computed;
}

/** What functions take as arguments: a field name (`"title"`, `"album__title"`), or an expression. */
export type Argument = string | Expression;

/** An argument bound to the model: a name becomes F(name). */
export function bindArgument(meta: ModelMeta, argument: Argument, where: string): Expression {
  if (typeof argument === "string") return new FieldReference(argument).bind(meta);
  if (!isExpression(argument)) {
    throw new ValidationError(`${meta.name}: ${where} takes field names or expressions (orm.F, orm.Value, ...), got ${argument === null ? "null" : typeof argument}`, meta.name);
  }
  return bindExpression(meta, argument);
}

/** Whether a bound argument aggregates the query's own rows. */
export function groupsRows(argument: Expression, compiler: QueryCompiler): boolean {
  return (argument as Partial<BoundComputed>).groups?.(compiler) === true;
}

/** Whether a bound argument reads integers SQLite must hand over as bigint. */
export function needsExactIntegers(argument: Expression): boolean {
  return (argument as Partial<BoundComputed>).exactIntegers === true;
}

/** A field of no model that types a computed value (how it reads back, what a filter may compare it with); `name` is what messages call it. */
export function outputField<F extends Field>(field: F, owner: FieldOwner, name: string, allowNull = true): F {
  field.name = name;
  field.owner = owner;
  (field.options as { allowNull?: boolean }).allowNull = allowNull;
  return field;
}
