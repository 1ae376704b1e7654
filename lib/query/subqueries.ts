import sql, { type Sql } from "sql-template-tag";
import { ValidationError } from "../errors.js";
import { BooleanField, type Field } from "../model/fields.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { ModelClass } from "../model/model.js";
import { QUERY_STATE, type QueryCompiler, type QueryState } from "./compiler.js";
import { Computed, outputField, type BoundComputed } from "./computed.js";
import { FieldReference } from "./expressions.js";
import { decodeOutput } from "./functions.js";
import type { Expression, RowsExpression } from "./lookups.js";

/** What Exists() and Subquery() take: a QuerySet (of any model). */
export interface SubqueryOf<R> {
  readonly model: ModelClass;
  [QUERY_STATE](): QueryState;
  /** The row type (types only). */
  then(onFulfilled?: ((rows: R[]) => unknown) | null): PromiseLike<unknown>;
}

/**
 * `orm.OuterRef("pk")`: inside the QuerySet of an Exists() or Subquery(), a column of the row of the query
 * around it: `Track.objects.filter({ album: orm.OuterRef("pk") })`. Checked when the statement is compiled.
 */
export class OuterReference implements Expression {
  /** Compared by the lookup it stands in (types only). */
  declare readonly valueType: unknown;

  constructor(readonly name: string) {
    if (typeof name !== "string" || name === "") throw new TypeError(`OuterRef() needs a field name such as "pk", got ${String(name)}`);
  }

  /** Stays unbound: the query it names is known only where the subquery is used. */
  bind(): this {
    return this;
  }

  toSql(compiler: QueryCompiler): Sql {
    const outer = compiler.root.outer?.root;
    if (!outer) throw new ValidationError(`${compiler.meta.name}: ${this} names the query around a subquery, but is not inside orm.Exists() or orm.Subquery()`, compiler.meta.name);
    return new FieldReference(this.name).bind(outer.meta).toSql(outer);
  }

  toString(): string {
    return `OuterRef(${JSON.stringify(this.name)})`;
  }
}

export function OuterRef(name: string): OuterReference {
  return new OuterReference(name);
}

function stateOf(queryset: SubqueryOf<unknown>, what: string): { meta: ModelMeta; state: QueryState } {
  if (typeof queryset !== "object" || queryset === null || typeof (queryset as Partial<SubqueryOf<unknown>>)[QUERY_STATE] !== "function") {
    throw new TypeError(`orm.${what}() takes a QuerySet, such as Track.objects.filter({ album: orm.OuterRef("pk") })`);
  }
  return { meta: queryset.model[META], state: queryset[QUERY_STATE]() };
}

/** `orm.Exists(qs)`: whether the QuerySet has a row, for each row of the query it is used in. */
class ExistsExpression extends Computed<boolean> {
  readonly #meta: ModelMeta;
  readonly #state: QueryState;

  constructor(queryset: SubqueryOf<unknown>) {
    super();
    ({ meta: this.#meta, state: this.#state } = stateOf(queryset, "Exists"));
  }

  override bind(meta: ModelMeta): BoundComputed {
    const inner = this.#meta;
    const state = this.#state;
    const output = outputField(new BooleanField(), meta, `Exists(${inner.name})`, false);
    return bound(output, (compiler) => sql`EXISTS (${compiler.subquery(inner, { scope: true }).exists(state)})`);
  }
}

export function Exists(queryset: SubqueryOf<unknown>): Computed<boolean> {
  return new ExistsExpression(queryset);
}

/** `orm.Subquery(qs.values("x").limit(1))`: the one value of a one-column QuerySet, for each row of the query it is used in (null for none). */
class SubqueryExpression<V> extends Computed<V> {
  readonly #meta: ModelMeta;
  readonly #state: QueryState;

  constructor(queryset: SubqueryOf<unknown>) {
    super();
    ({ meta: this.#meta, state: this.#state } = stateOf(queryset, "Subquery"));
    const columns = this.#state.values?.columns;
    if (columns?.length !== 1) {
      throw new ValidationError(`orm.Subquery() needs a QuerySet of one column, such as ${this.#meta.name}.objects.values("id").limit(1); got ${columns ? `${columns.length} columns` : "whole rows"}`, this.#meta.name);
    }
  }

  override bind(): BoundComputed & RowsExpression {
    const inner = this.#meta;
    const state = this.#state;
    const column = state.values!.columns[0]!;
    const output = "annotation" in column ? column.annotation.expression.output : (column.transform?.output ?? column.field);
    const select = (compiler: QueryCompiler) => compiler.subquery(inner, { scope: true }).values(state).statement;
    return {
      ...bound(output, (compiler) => sql`(${select(compiler)})`),
      // MySQL takes no LIMIT in a subquery of IN (...) unless it is a derived table.
      rowsSql: (compiler) => (state.limit === undefined && state.offset === undefined ? select(compiler) : compiler.dialect.selfSubquery(select(compiler))),
    };
  }

  /** After `__in`, its rows: the lookup sees it before it is bound to the query around it. */
  rowsSql(compiler: QueryCompiler): Sql {
    return this.bind().rowsSql(compiler);
  }
}

/** A QuerySet given as a lookup's value (`filter({ album__in: Album.objects.filter(...) })`): its one column, or its keys, as a Subquery. */
export function subqueryOf(value: unknown): unknown {
  if (typeof value !== "object" || value === null || typeof (value as Partial<SubqueryOf<unknown>>)[QUERY_STATE] !== "function") return value;
  const queryset = value as SubqueryOf<unknown> & { values(name: string): SubqueryOf<unknown> };
  return new SubqueryExpression(queryset[QUERY_STATE]().values ? queryset : queryset.values("pk"));
}

/** Typed by the QuerySet's one column: `orm.Subquery(Track.objects.values("name").limit(1))` is a string (or null). */
export function Subquery<R>(queryset: SubqueryOf<R>): Computed<(R extends Record<string, infer V> ? V : R) | null> {
  return new SubqueryExpression(queryset);
}

/** A subquery bound to the query it is used in. */
function bound(output: Field, render: (compiler: QueryCompiler) => Sql): BoundComputed {
  return {
    output,
    exactIntegers: output.kind === "bigint",
    groups: () => false,
    toSql: render,
    decode: (value, compiler) => decodeOutput(output, value, compiler),
    bind() {
      return this;
    },
  };
}
