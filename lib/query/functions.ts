import sql, { join, raw, type Sql } from "sql-template-tag";
import { ValidationError } from "../errors.js";
import { BigIntegerField, BooleanField, DateTimeField, FloatField, IntegerField, TextField, type Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { Dialect } from "../dialects/dialect.js";
import { decodeValue, type QueryCompiler } from "./compiler.js";
import { bindArgument, Computed, groupsRows, needsExactIntegers, outputField, type Argument, type BoundComputed } from "./computed.js";
import type { Expression } from "./lookups.js";

/** The field whose values a bound expression holds: its own for a computed one, a column's for F(). */
export function outputOf(expression: Expression): Field | undefined {
  const candidate = expression as { output?: unknown; field?: unknown };
  if (candidate.output) return candidate.output as Field;
  if (candidate.field && typeof (candidate.field as Field).kind === "string") return candidate.field as Field;
  return undefined;
}

/** A computed value's JS value, read back as its output field stores values. */
export function decodeOutput(output: Field, value: unknown, compiler: QueryCompiler): unknown {
  if (value === null || value === undefined) return null;
  return decodeValue(compiler.decoder(output), value);
}

/** The parts every bound computed value shares: it decodes through its output field. */
abstract class BoundBase implements BoundComputed {
  abstract readonly output: Field;
  abstract readonly exactIntegers: boolean;
  abstract toSql(compiler: QueryCompiler): Sql;
  abstract groups(compiler: QueryCompiler): boolean;

  decode(value: unknown, compiler: QueryCompiler): unknown {
    return decodeOutput(this.output, value, compiler);
  }

  bind(): this {
    return this;
  }
}

/** The plain values orm.Value() holds. */
export type Literal = string | number | bigint | boolean | Date | null;

/** `orm.Value("x")`: a constant in an expression (bound as a parameter; numbers and booleans written inline so every database types them). */
class ValueExpression<V extends Literal = Literal> extends Computed<V> {
  constructor(readonly value: V) {
    super();
    const ok = value === null || value instanceof Date || ["string", "number", "bigint", "boolean"].includes(typeof value);
    if (!ok) throw new TypeError(`orm.Value() takes a string, number, bigint, boolean, Date or null, got ${typeof value}`);
    if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError(`orm.Value() needs a finite number, got ${value}`);
  }

  override bind(meta: ModelMeta): BoundComputed {
    return new BoundValue(this.value, outputField(literalField(this.value), meta, `Value(${String(this.value)})`));
  }

  override toString(): string {
    return `Value(${JSON.stringify(this.value, (_, item) => (typeof item === "bigint" ? String(item) : item))})`;
  }
}

function literalField(value: Literal): Field {
  if (typeof value === "number") return Number.isInteger(value) ? new IntegerField() : new FloatField();
  if (typeof value === "bigint") return new BigIntegerField();
  if (typeof value === "boolean") return new BooleanField();
  if (value instanceof Date) return new DateTimeField();
  return new TextField();
}

/** Whether a bound expression is a constant null (Value(null), or a Case result left out). */
export function isNull(expression: Expression): boolean {
  return expression instanceof BoundValue && expression.value === null;
}

class BoundValue extends BoundBase {
  readonly exactIntegers: boolean;

  constructor(
    readonly value: Literal,
    readonly output: Field,
  ) {
    super();
    this.exactIntegers = typeof value === "bigint";
  }

  groups(): boolean {
    return false;
  }

  toSql(compiler: QueryCompiler): Sql {
    const { value } = this;
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return raw(compiler.dialect.literal(value));
    if (value === null) return raw("NULL");
    return compiler.value(this.output, value);
  }
}

/** A function of bound arguments, written by `render`. */
class BoundFunction extends BoundBase {
  readonly exactIntegers: boolean;

  constructor(
    readonly args: readonly Expression[],
    readonly output: Field,
    readonly render: (compiler: QueryCompiler, args: Sql[]) => Sql,
  ) {
    super();
    this.exactIntegers = args.some(needsExactIntegers);
  }

  groups(compiler: QueryCompiler): boolean {
    return this.args.some((argument) => groupsRows(argument, compiler));
  }

  toSql(compiler: QueryCompiler): Sql {
    return this.render(
      compiler,
      this.args.map((argument) => argument.toSql(compiler)),
    );
  }
}

/** A function of one argument, written by `render`: Lower, Upper, Length. */
class UnaryFunction<V> extends Computed<V> {
  constructor(
    readonly label: string,
    readonly argument: Argument,
    readonly result: () => Field,
    readonly render: (dialect: Dialect, argument: Sql) => Sql,
  ) {
    super();
  }

  override bind(meta: ModelMeta): BoundComputed {
    const argument = bindArgument(meta, this.argument, `${this.label}()`);
    return new BoundFunction([argument], outputField(this.result(), meta, String(this)), (compiler, [sqlArgument]) => this.render(compiler.dialect, sqlArgument!));
  }

  override toString(): string {
    return `${this.label}(${typeof this.argument === "string" ? JSON.stringify(this.argument) : String(this.argument)})`;
  }
}

/** `orm.Concat("first", orm.Value(" "), "last")`: the texts joined, a null part read as "" (as Django does). */
class ConcatFunction extends Computed<string> {
  readonly parts: readonly Argument[];

  constructor(...parts: Argument[]) {
    super();
    if (parts.length < 2) throw new TypeError(`orm.Concat() joins two or more parts, got ${parts.length}`);
    this.parts = parts;
  }

  override bind(meta: ModelMeta): BoundComputed {
    const parts = this.parts.map((part) => bindArgument(meta, part, "Concat()"));
    return new BoundFunction(parts, outputField(new TextField(), meta, "Concat(...)", false), (compiler, args) => compiler.dialect.concat(args));
  }
}

/** `orm.Coalesce("nickname", "name")`: the first of its arguments that is not null. */
class CoalesceFunction<V = unknown> extends Computed<V> {
  readonly args: readonly Argument[];

  constructor(...args: Argument[]) {
    super();
    if (args.length < 2) throw new TypeError(`orm.Coalesce() needs two or more arguments, got ${args.length}`);
    this.args = args;
  }

  override bind(meta: ModelMeta): BoundComputed {
    const args = this.args.map((argument) => bindArgument(meta, argument, "Coalesce()"));
    // Typed by its first argument that reads a column or computes a value: a constant only fills in.
    const output = args.filter((argument) => !(argument instanceof BoundValue)).map(outputOf).find(Boolean) ?? args.map(outputOf).find(Boolean);
    if (!output) throw new ValidationError(`${meta.name}: Coalesce() needs a field or a typed expression among its arguments`, meta.name);
    return new BoundFunction(args, output, (_compiler, parts) => sql`COALESCE(${join(parts)})`);
  }
}

/** `orm.Now()`: the database's current time, as a Date (UTC, as every DateTime is stored). */
class NowFunction extends Computed<Date> {
  override bind(meta: ModelMeta): BoundComputed {
    return new BoundFunction([], outputField(new DateTimeField(), meta, "Now()", false), (compiler) => compiler.dialect.now);
  }

  override toString(): string {
    return "Now()";
  }
}

export function Value<const V extends Literal>(value: V): Computed<V extends Date ? Date : V> {
  return new ValueExpression(value) as Computed as Computed<V extends Date ? Date : V>;
}

/** `orm.Lower("name")`: the text in lower case, Unicode-aware on every database. */
export function Lower(argument: Argument): Computed<string | null> {
  return new UnaryFunction("Lower", argument, () => new TextField(), (dialect, text) => dialect.lower(text));
}

/** `orm.Upper("name")`: the text in upper case, Unicode-aware on every database. */
export function Upper(argument: Argument): Computed<string | null> {
  return new UnaryFunction("Upper", argument, () => new TextField(), (dialect, text) => dialect.upper(text));
}

/** `orm.Length("name")`: characters (not bytes) on every database; null for null. */
export function Length(argument: Argument): Computed<number | null> {
  return new UnaryFunction("Length", argument, () => new IntegerField(), (dialect, text) => dialect.length(text));
}

export function Concat(...parts: Argument[]): Computed<string> {
  return new ConcatFunction(...parts);
}

/** Typed by the type argument where given: `orm.Coalesce<string>("nickname", "name")`. */
export function Coalesce<V = unknown>(...args: Argument[]): Computed<V> {
  return new CoalesceFunction<V>(...args);
}

export function Now(): Computed<Date> {
  return new NowFunction();
}
