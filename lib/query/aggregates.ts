import sql, { empty, raw, type Sql } from "sql-template-tag";
import { UnknownFieldError, ValidationError } from "../errors.js";
import { FloatField, IntegerField, type Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import { derivedColumn, type QueryCompiler, type ValueColumn } from "./compiler.js";
import { Computed, outputField, type BoundComputed } from "./computed.js";
import { resolvePath, type RelationStep } from "./paths.js";
import type { Expression } from "./lookups.js";
import type { PathValue } from "./typing.js";
import { resolveCondition, type Condition, type LookupObject, type Q } from "./where.js";

export type AggregateFunction = "COUNT" | "SUM" | "AVG" | "MIN" | "MAX";

export interface AggregateOptions {
  /** Over distinct values only: `Count("tracks__genre", { distinct: true })`. */
  readonly distinct?: boolean;
  /**
   * Over the rows that match only, named from the queried model as filter() names them:
   * `Count("favorites", { filter: { favorites__user: me } })`.
   */
  readonly filter?: LookupObject | Q;
}

const NUMERIC = new Set(["integer", "bigint", "float", "decimal"]);

/**
 * `orm.Count("tracks")`, `orm.Sum("milliseconds")`, ...: what `aggregate()` and `annotate()` compute.
 * `V` is the JS value it gives (types only). The path is checked when a QuerySet receives it.
 */
export class Aggregate<V = unknown> extends Computed<V> {
  constructor(
    readonly fn: AggregateFunction,
    /** A field or relation path; undefined for `Count()`, which counts rows. */
    readonly path: string | undefined,
    readonly options: AggregateOptions = {},
  ) {
    super();
    if (path !== undefined && (typeof path !== "string" || path === "")) {
      throw new TypeError(`${fn === "COUNT" ? "Count" : fn.charAt(0) + fn.slice(1).toLowerCase()}() needs a field name, got ${String(path)}`);
    }
  }

  /** Resolves the path against the queried model: UnknownFieldError (or ValidationError for a non-number Sum) before any SQL. */
  override bind(meta: ModelMeta): BoundAggregate {
    const filter = this.options.filter === undefined ? undefined : resolveCondition(meta, this.options.filter);
    if (this.path === undefined) return new BoundAggregate(this, [], undefined, filter, meta);
    const { steps, field, rest } = resolvePath(meta, this.path.split("__"), this.path);
    if (rest.length > 0) throw field.owner === meta ? meta.unknown(this.path, "field to aggregate", this.path) : meta.unknown(rest.join("__"), "field to aggregate", this.path);
    this.#checkNumeric(meta, field, `${field.owner.name}.${field.name}`);
    return new BoundAggregate(this, steps, field, filter, meta);
  }

  /**
   * Resolves the path against the columns of a QuerySet's rows read as a derived table (see QueryCompiler.aggregateOver):
   * `annotate({ n: Count("tags") }).aggregate({ most: Max("n") })` aggregates what annotate() computed per row.
   */
  bindOver(meta: ModelMeta, columns: readonly ValueColumn[]): BoundAggregate {
    if (this.options.filter !== undefined) {
      throw new ValidationError(`${meta.name}.objects.aggregate(): ${this} reads the rows annotate() computed, where a filter cannot name the model's relations; filter() the QuerySet instead`, meta.name);
    }
    if (this.path === undefined) return new BoundAggregate(this, [], undefined, undefined, meta);
    const position = columns.findIndex((column) => column.name === this.path);
    if (position < 0) {
      throw new UnknownFieldError(`${meta.name}.objects.aggregate(): ${this} names none of the rows' values (${columns.map((column) => column.name).join(", ")}); over annotate(), an aggregate reads an annotation or a values() column`);
    }
    const column = columns[position]!;
    const field = "annotation" in column ? column.annotation.expression.output : (column.transform?.output ?? column.field);
    this.#checkNumeric(meta, field, JSON.stringify(column.name));
    return new BoundAggregate(this, [], field, undefined, meta, position);
  }

  /** Sum and Avg of a number, in SQL: a ValidationError before any SQL otherwise. */
  #checkNumeric(meta: ModelMeta, field: Field, named: string): void {
    if (this.fn !== "SUM" && this.fn !== "AVG") return;
    if (!NUMERIC.has(field.kind)) throw new ValidationError(`${meta.name}: ${this} needs a number field; ${named} is ${field.kind}`, meta.name, field.name);
    const refusal = meta.database.dialect.arithmeticRefusal(field);
    if (refusal) throw new ValidationError(`${meta.name}: ${this} cannot run in SQL: ${refusal}`, meta.name, field.name);
  }

  override toString(): string {
    const name = this.fn === "COUNT" ? "Count" : this.fn.charAt(0) + this.fn.slice(1).toLowerCase();
    const options = [this.options.distinct ? "distinct: true" : "", this.options.filter ? "filter: ..." : ""].filter(Boolean).join(", ");
    return `${name}(${this.path === undefined ? "" : JSON.stringify(this.path)}${options ? `, { ${options} }` : ""})`;
  }
}

/** An aggregate resolved against a model: the SQL it becomes in a query, and how its result becomes a JS value. */
export class BoundAggregate implements BoundComputed {
  /** Where the path first crosses a reverse relation (each row has many there), or -1. */
  readonly #many: number;
  readonly output: Field;

  constructor(
    readonly aggregate: Aggregate,
    readonly steps: readonly RelationStep[],
    /** The field aggregated; undefined for `Count()`. */
    readonly field: Field | undefined,
    /** Only the rows matching this are aggregated. */
    readonly filter: Condition | undefined,
    meta: ModelMeta,
    /** The position of the column it reads in the rows of QueryCompiler.aggregateOver, instead of `field`'s own column. */
    readonly derived?: number,
  ) {
    this.#many = steps.findIndex((step) => step.many);
    // Min, Max and Sum hold the field's own values, which a filter compares with as the field checks them.
    const { fn } = aggregate;
    this.output = fn === "COUNT" ? outputField(new IntegerField(), meta, String(aggregate), false) : fn === "AVG" ? outputField(new FloatField(), meta, String(aggregate)) : field!;
  }

  bind(): this {
    return this;
  }

  /**
   * On each instance (annotate), an aggregate across a reverse relation is a subquery per row: it counts only
   * the rows the query returns (a page of 20 counts 20 rows' relations, not the table's), and two of them never
   * multiply each other's rows. Elsewhere (aggregate(), values() groups) it joins the path's tables.
   */
  groups(compiler: QueryCompiler): boolean {
    return compiler.groupsRows || this.#many < 0;
  }

  toSql(compiler: QueryCompiler): Sql {
    if (!this.groups(compiler)) return this.#subquery(compiler);
    // Joins the path's tables into `compiler` (LEFT across reverse relations, so a row with none counts 0).
    const column = this.derived !== undefined ? derivedColumn(compiler.dialect, this.derived) : this.field ? compiler.column(this.field, compiler.aliasFor(this.steps)) : undefined;
    const filter = this.filter ? compiler.condition(this.filter) : undefined;
    return this.#call(compiler, column && filter ? sql`CASE WHEN ${filter} THEN ${column} END` : filter ? sql`CASE WHEN ${filter} THEN 1 END` : column);
  }

  /** `(SELECT COUNT(...) FROM related WHERE related.key = outer.key AND filter)`, the filter's paths along the relation naming the related rows. */
  #subquery(compiler: QueryCompiler): Sql {
    const many = this.#many;
    const step = this.steps[many]!;
    const outer = compiler.column(step.fromField, compiler.aliasFor(this.steps.slice(0, many)));
    const inner = compiler.subquery(step.to, { relative: this.steps.slice(0, many + 1), joined: this.steps.slice(many + 1) });
    const column = inner.column(this.field!, inner.aliasFor(this.steps.slice(many + 1)));
    const filter = this.filter ? sql` AND ${inner.condition(this.filter)}` : empty;
    const value = this.#call(inner, column);
    return sql`(SELECT ${value} FROM ${inner.from()} WHERE ${inner.column(step.toField)} = ${outer}${filter})`;
  }

  #call(compiler: QueryCompiler, column: Sql | undefined): Sql {
    const { fn, options } = this.aggregate;
    if (!column) return raw(`${fn}(*)`);
    if (fn === "AVG") return compiler.dialect.average(column, options.distinct === true);
    return sql`${raw(fn)}(${raw(options.distinct ? "DISTINCT " : "")}${column})`;
  }

  /** SQLite must read integers as bigint for a BigInteger sum or bound to stay exact. */
  get exactIntegers(): boolean {
    return this.field?.kind === "bigint";
  }

  /** Count: a number. Sum: as the field (a Decimal's sum a string, a BigInteger's a bigint). Avg: a number. Min/Max: the field's value. */
  decode(value: unknown, compiler: QueryCompiler): unknown {
    const { fn } = this.aggregate;
    if (fn === "COUNT") return Number(value ?? 0);
    if (value === null || value === undefined) return null;
    const field = this.field!;
    if (fn === "AVG") return Number(value);
    if (fn === "SUM" && field.kind !== "decimal") {
      if (field.kind === "bigint") return typeof value === "bigint" ? value : BigInt(typeof value === "number" ? Math.round(value) : String(value).replace(/\.0*$/, ""));
      return Number(value);
    }
    // Min, Max and a Decimal's Sum read as the field itself stores values (a foreign key as its key, not a stub).
    return compiler.dialect.codec(field.kind).decode(value, field);
  }
}

export function Count(path?: string, options?: AggregateOptions): Aggregate<number> {
  return new Aggregate<number>("COUNT", path, options);
}

/**
 * A placeholder result type: the aggregate of the field at path P, worked out from the model when
 * aggregate() or annotate() receives it (types only).
 */
export interface FromField<Fn extends AggregateFunction, P extends string> {
  readonly [fromFieldBrand]: [Fn, P];
}
export declare const fromFieldBrand: unique symbol;

/** The result type V, or, when none is given, the one the field at P gives. */
type Result<V, Fn extends AggregateFunction, P extends string> = [V] extends [never] ? FromField<Fn, P> : V | null;

/** A number for Integer and Float fields, a string for Decimal, a bigint for BigInteger; null over no rows. */
export function Sum<V = never, const P extends string = string>(path: P, options?: AggregateOptions): Aggregate<Result<NoInfer<V>, "SUM", P>> {
  return new Aggregate<Result<V, "SUM", P>>("SUM", path, options);
}

/** A number (a double) whatever the field; null over no rows. */
export function Avg(path: string, options?: AggregateOptions): Aggregate<number | null> {
  return new Aggregate<number | null>("AVG", path, options);
}

/** The field's own JS value (a foreign key's key); null over no rows. */
export function Min<V = never, const P extends string = string>(path: P, options?: AggregateOptions): Aggregate<Result<NoInfer<V>, "MIN", P>> {
  return new Aggregate<Result<V, "MIN", P>>("MIN", path, options);
}

export function Max<V = never, const P extends string = string>(path: P, options?: AggregateOptions): Aggregate<Result<NoInfer<V>, "MAX", P>> {
  return new Aggregate<Result<V, "MAX", P>>("MAX", path, options);
}

type SumOf<X> = X extends bigint ? bigint : X extends string ? string : number;

/** An aggregate's JS value over rows of T. */
type ResultOver<T, V> = V extends FromField<infer Fn, infer P extends string>
  ? Fn extends "SUM"
    ? SumOf<Exclude<AggregatedValue<T, P>, null>> | null
    : Exclude<AggregatedValue<T, P>, null> | null
  : V;

/** The value an aggregate reads at P: an annotation's (aggregate() of annotate()), or a field's along its path. */
type AggregatedValue<T, P extends string> = P extends AnnotationKey<T> ? T[P & keyof T] : PathValue<T, P>;

/** What annotate() takes: an aggregate, a function, a Case, a subquery, or F(). */
export type Annotatable = { readonly valueType: unknown } & Expression;

/** The result of `aggregate({ ... })` / the fields `annotate({ ... })` adds over rows of T: each key typed by its aggregate. */
export type AggregateValues<A extends Record<string, Annotatable>, T = unknown> = {
  -readonly [K in keyof A]: ResultOver<T, A[K]["valueType"]>;
};

/** Marks the names annotate() added (types only), so orderBy() can accept them. */
export declare const annotationBrand: unique symbol;

/** What annotate() adds to its rows' type: the values, and their names for orderBy(). */
export type Annotated<A extends Record<string, Annotatable>, T = unknown> = AggregateValues<A, T> & {
  readonly [annotationBrand]?: { readonly [K in keyof A]: true };
};

/** The names annotate() added to T. */
export type AnnotationKey<T> = T extends { readonly [annotationBrand]?: infer N } ? keyof N & string : never;
