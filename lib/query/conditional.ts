import sql, { join, raw, type Sql } from "sql-template-tag";
import { ValidationError } from "../errors.js";
import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { QueryCompiler } from "./compiler.js";
import { bindExpression } from "./expressions.js";
import { Computed, groupsRows, needsExactIntegers, type BoundComputed } from "./computed.js";
import { decodeOutput, isNull, outputOf, Value, type Literal } from "./functions.js";
import { isExpression, type Expression } from "./lookups.js";
import { resolveCondition, type Condition, type LookupObject, type Q } from "./where.js";

/** What a When() tests: lookups as filter() takes them, a Q, or a boolean expression such as orm.Exists(...). */
export type WhenCondition = LookupObject | Q | Expression;

/** What a When() or a Case's default gives: a plain value, or an expression (orm.F("name") for a column). */
export type Result = Literal | Expression;

/** One branch of a Case: see When(). */
export class WhenClause<V = unknown> {
  declare readonly valueType: V;

  constructor(
    readonly condition: WhenCondition,
    readonly then: Result,
  ) {}
}

/** The JS value of a plain result, or unknown for an expression. */
type ResultValue<R> = R extends Expression
  ? R extends { readonly valueType: infer V }
    ? V
    : unknown
  : R extends Date
    ? Date
    : R extends number
      ? number
      : R extends boolean
        ? boolean
        : R extends bigint
          ? bigint
          : R;

/** `orm.When({ milliseconds__gt: 300000 }, "long")`: one branch of a Case, typed by its result. */
export function When<const R extends Result>(condition: WhenCondition, then: R): WhenClause<ResultValue<R>> {
  return new WhenClause(condition, then);
}

export interface CaseOptions<D extends Result = Result> {
  /** The value where no When matches; null when absent. */
  readonly default?: D;
}

/**
 * `orm.Case(orm.When({ a: 1 }, "one"), orm.When({ a: 2 }, "two"), { default: "many" })`: the result of
 * the first When whose condition holds. A plain string is a value, never a field name (orm.F() for that).
 */
class CaseExpression<V = unknown> extends Computed<V> {
  readonly whens: readonly WhenClause[];
  readonly fallback: Result;

  constructor(args: (WhenClause | CaseOptions)[]) {
    super();
    const last = args[args.length - 1];
    const options = last !== undefined && !(last instanceof WhenClause) ? (args.pop() as CaseOptions) : {};
    if (args.length === 0) throw new TypeError("orm.Case() needs at least one orm.When(...)");
    for (const branch of args) if (!(branch instanceof WhenClause)) throw new TypeError("orm.Case() takes orm.When(...) branches, then an optional { default } object");
    this.whens = args as WhenClause[];
    this.fallback = options.default ?? null;
  }

  override bind(meta: ModelMeta): BoundComputed {
    const branches = this.whens.map((branch) => ({ condition: bindCondition(meta, branch.condition), then: bindResult(meta, branch.then) }));
    const fallback = bindResult(meta, this.fallback);
    const results = [...branches.map((branch) => branch.then), fallback];
    const output = results.filter((result) => !isNull(result)).map(outputOf).find(Boolean);
    if (!output) throw new ValidationError(`${meta.name}: Case() needs a result that is not null`, meta.name);
    return new BoundCase(branches, fallback, output);
  }
}

function bindCondition(meta: ModelMeta, condition: WhenCondition): Condition {
  if (isExpression(condition)) return { kind: "expression", expression: bindExpression(meta, condition) };
  return resolveCondition(meta, condition);
}

function bindResult(meta: ModelMeta, result: Result): Expression {
  return isExpression(result) ? bindExpression(meta, result) : Value(result).bind(meta);
}

class BoundCase implements BoundComputed {
  readonly exactIntegers: boolean;

  constructor(
    readonly branches: readonly { condition: Condition; then: Expression }[],
    readonly fallback: Expression,
    readonly output: Field,
  ) {
    const results = [...branches.map((branch) => branch.then), fallback];
    this.exactIntegers = results.some(needsExactIntegers);
  }

  groups(compiler: QueryCompiler): boolean {
    return [...this.branches.map((branch) => branch.then), this.fallback].some((result) => groupsRows(result, compiler));
  }

  toSql(compiler: QueryCompiler): Sql {
    const branches = this.branches.map((branch) => sql`WHEN ${compiler.condition(branch.condition)} THEN ${branch.then.toSql(compiler)}`);
    return sql`CASE ${join(branches, " ")} ELSE ${this.fallback.toSql(compiler)}${raw(" END")}`;
  }

  decode(value: unknown, compiler: QueryCompiler): unknown {
    return decodeOutput(this.output, value, compiler);
  }

  bind(): this {
    return this;
  }
}

/** The value types of Case branches and its default. */
type Branches<A extends readonly unknown[]> = A[number] extends infer E ? (E extends WhenClause<infer V> ? V : E extends CaseOptions<infer D> ? ResultValue<D> : never) : never;

/** Null where no When matches and no default is given. */
type Fallback<A extends readonly unknown[]> = A extends readonly [...unknown[], CaseOptions] ? never : null;

export function Case<const A extends readonly (WhenClause<unknown> | CaseOptions)[]>(...args: A): Computed<Branches<A> | Fallback<A>> {
  return new CaseExpression([...args]);
}
