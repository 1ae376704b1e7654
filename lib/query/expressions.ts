import sql, { raw, type Sql } from "sql-template-tag";
import { ValidationError } from "../errors.js";
import { BigIntegerField, DecimalField, FloatField, IntegerField, type Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import { decodeValue, type QueryCompiler } from "./compiler.js";
import { isExpression, type Expression } from "./lookups.js";
import { resolvePath, type RelationStep } from "./paths.js";

/** What arithmetic takes on either side: another expression, or a plain number (bound as a parameter). */
export type Operand = Expression | number | bigint | string;

type Operator = "+" | "-" | "*" | "/";

/**
 * Column arithmetic shared by F and what is built from it: `F("views").add(1).mul(2)`. Each step
 * returns a new expression; nothing names a model until a QuerySet binds it.
 */
export abstract class Arithmetic implements Expression {
  add(other: Operand): Combined {
    return new Combined(this, "+", other);
  }

  sub(other: Operand): Combined {
    return new Combined(this, "-", other);
  }

  mul(other: Operand): Combined {
    return new Combined(this, "*", other);
  }

  /** Division of two integer columns follows the database: it truncates on SQLite and PostgreSQL, not on MariaDB. */
  div(other: Operand): Combined {
    return new Combined(this, "/", other);
  }

  /** The same expression with its names resolved against the queried model: UnknownFieldError before any SQL. */
  abstract bind(meta: ModelMeta): Arithmetic;

  abstract toSql(compiler: QueryCompiler): Sql;
}

/** Arithmetic that annotate() reads as a value of its `output` field: a column, or columns combined. */
abstract class ValueArithmetic extends Arithmetic {
  abstract get output(): Field;

  get exactIntegers(): boolean {
    return this.output.kind === "bigint";
  }

  groups(): boolean {
    return false;
  }

  decode(value: unknown, compiler: QueryCompiler): unknown {
    return decodeValue(compiler.decoder(this.output), value);
  }
}

/**
 * `F("views")`, `F("album__title")`: a column of the row being queried, as the right-hand side of a
 * lookup or the new value in `update()`. Forward relations join; reverse ones would repeat rows, so they are refused.
 */
export class FieldReference extends Arithmetic {
  /** What annotate({ name: F("album__title") }) reads (types only: not worked out from the path). */
  declare readonly valueType: unknown;

  constructor(readonly name: string) {
    super();
    if (typeof name !== "string" || name === "") throw new TypeError(`F() needs a field name such as "views", got ${String(name)}`);
  }

  override bind(meta: ModelMeta): ColumnReference {
    const { steps, field, rest } = resolvePath(meta, this.name.split("__"), this.name);
    if (rest.length > 0) throw field.owner === meta ? meta.unknown(this.name, "field", this.name) : meta.unknown(rest.join("__"), "field", this.name);
    const many = steps.find((step) => step.many);
    if (many) {
      throw new ValidationError(
        `${meta.name}: F(${JSON.stringify(this.name)}) crosses the reverse relation "${many.name}", which has many rows per ${meta.name}; use an aggregate (annotate) instead`,
        meta.name,
      );
    }
    return new ColumnReference(this.name, steps, field);
  }

  /** Unbound (built outside a QuerySet): resolves against the query's model now. */
  override toSql(compiler: QueryCompiler): Sql {
    return this.bind(compiler.root.meta).toSql(compiler);
  }

  override toString(): string {
    return `F(${JSON.stringify(this.name)})`;
  }

  /** An orderBy() term, ascending; `{ nulls: "last" }` places rows without a value, the same on every database. */
  asc(options: NullsPlacement = {}): OrderBy {
    return new OrderBy(this.name, false, options);
  }

  /** An orderBy() term, descending; `{ nulls: "first" }` places rows without a value, the same on every database. */
  desc(options: NullsPlacement = {}): OrderBy {
    return new OrderBy(this.name, true, options);
  }
}

/** Where rows whose sort key is null go: without it, where the database puts them (first ascending on SQLite and MariaDB, last on PostgreSQL). */
export interface NullsPlacement {
  readonly nulls?: "first" | "last";
}

/** `F("editor__name").desc({ nulls: "last" })`: a field or annotation to order by, its direction and where nulls go. */
export class OrderBy {
  readonly nulls: "first" | "last" | undefined;

  constructor(
    readonly name: string,
    readonly descending: boolean,
    options: NullsPlacement,
  ) {
    const { nulls } = options ?? {};
    if (nulls !== undefined && nulls !== "first" && nulls !== "last") throw new TypeError(`${this}: nulls is "first" or "last", got ${JSON.stringify(nulls)}`);
    this.nulls = nulls;
  }

  toString(): string {
    return `F(${JSON.stringify(this.name)}).${this.descending ? "desc" : "asc"}()`;
  }
}

/** An F bound to a model: the relation hops and the field it reads; annotate() reads it as the field reads. */
export class ColumnReference extends ValueArithmetic {
  constructor(
    readonly name: string,
    readonly steps: readonly RelationStep[],
    readonly field: Field,
  ) {
    super();
  }

  override bind(): ColumnReference {
    return this;
  }

  get output(): Field {
    return this.field;
  }

  /** Always a column of the outermost query, even inside the EXISTS of a reverse-relation lookup. */
  override toSql(compiler: QueryCompiler): Sql {
    const query = compiler.root;
    return query.column(this.field, query.aliasFor(this.steps));
  }

  override toString(): string {
    return `F(${JSON.stringify(this.name)})`;
  }
}

/** `left op right`, parenthesised so nesting keeps its order; bound, annotate() reads it as its `output` field. */
export class Combined extends ValueArithmetic {
  /** What annotate({ total: F("price").mul(F("quantity")) }) reads (types only: not worked out from the operands). */
  declare readonly valueType: unknown;
  #output: Field | undefined;

  constructor(
    readonly left: Operand,
    readonly operator: Operator,
    readonly right: Operand,
    /** The model it is bound to (see bind): its output field's owner, for messages. */
    readonly owner?: ModelMeta,
  ) {
    super();
    for (const side of [left, right]) {
      if (!isExpression(side) && typeof side !== "number" && typeof side !== "bigint" && typeof side !== "string") {
        throw new TypeError(`F() arithmetic takes numbers, numeric strings or other expressions, got ${side === null ? "null" : typeof side}`);
      }
      if (typeof side === "number" && !Number.isFinite(side)) throw new TypeError(`F() arithmetic needs finite numbers, got ${side}`);
    }
  }

  override bind(meta: ModelMeta): Combined {
    const left = bindOperand(meta, this.left);
    const right = bindOperand(meta, this.right);
    for (const side of [left, right]) {
      if (!(side instanceof ColumnReference)) continue;
      const refusal = meta.database.dialect.arithmeticRefusal(side.field);
      if (refusal) throw new ValidationError(`${meta.name}: ${side} ${this.operator} ...: ${refusal}`, meta.name, side.field.name);
    }
    return new Combined(left, this.operator, right, meta);
  }

  override toSql(compiler: QueryCompiler): Sql {
    return sql`(${operandSql(compiler, this.left)} ${raw(this.operator)} ${operandSql(compiler, this.right)})`;
  }

  /**
   * The field its values read as, once bound: integers stay integers (a bigint where one takes part), a Decimal
   * taking part gives an exact Decimal text (the larger scale of + and -, the sum of the scales of *), a float or
   * a division gives a number (integer division differs by database, see div()).
   */
  get output(): Field {
    return (this.#output ??= resultField(arithmeticResult(this), this));
  }

  override toString(): string {
    return `(${String(this.left)} ${this.operator} ${String(this.right)})`;
  }
}

/** The kind of number an operand or a combination of them gives, and a Decimal's scale. */
type ArithmeticResult = { readonly kind: "integer" | "bigint" | "float" } | { readonly kind: "decimal"; readonly scale: number };

function arithmeticResult(operand: Operand): ArithmeticResult {
  if (operand instanceof Combined) {
    const left = arithmeticResult(operand.left);
    const right = arithmeticResult(operand.right);
    if (operand.operator === "/" || left.kind === "float" || right.kind === "float") return { kind: "float" };
    if (left.kind === "decimal" || right.kind === "decimal") {
      const [a, b] = [left, right].map((side) => (side.kind === "decimal" ? side.scale : 0)) as [number, number];
      return { kind: "decimal", scale: operand.operator === "*" ? a + b : Math.max(a, b) };
    }
    return { kind: left.kind === "bigint" || right.kind === "bigint" ? "bigint" : "integer" };
  }
  if (operand instanceof ColumnReference) {
    const { field } = operand;
    if (field.kind === "decimal") return { kind: "decimal", scale: (field as DecimalField).options.decimalPlaces };
    if (field.kind === "integer" || field.kind === "bigint" || field.kind === "float") return { kind: field.kind };
    throw new ValidationError(`${field.owner.name}: ${operand} is ${field.kind}, not a number: annotate() takes arithmetic on number fields`, field.owner.name, field.name);
  }
  if (typeof operand === "bigint") return { kind: "bigint" };
  if (typeof operand === "number") return { kind: Number.isInteger(operand) ? "integer" : "float" };
  if (typeof operand === "string") return /^[+-]?\d+$/.test(operand.trim()) ? { kind: "integer" } : { kind: "decimal", scale: operand.trim().split(".")[1]?.length ?? 0 };
  // Another expression (a function, a subquery): read as a number.
  return { kind: "float" };
}

/** A field of no column, for reading a result of its kind: named after the expression, owned by the model it is bound to. */
function resultField(result: ArithmeticResult, expression: Combined): Field {
  // SQLite computes a Decimal's arithmetic in doubles: 15 digits, so that its filters compare numbers there too.
  const options = { allowNull: true };
  const field: Field =
    result.kind === "decimal"
      ? new DecimalField({ ...options, maxDigits: Math.max(15, result.scale), decimalPlaces: result.scale } as ConstructorParameters<typeof DecimalField>[0])
      : result.kind === "bigint"
        ? new BigIntegerField(options)
        : result.kind === "integer"
          ? new IntegerField(options)
          : new FloatField(options);
  field.name = String(expression);
  if (expression.owner) field.owner = expression.owner;
  return field;
}

function bindOperand(meta: ModelMeta, operand: Operand): Operand {
  return isExpression(operand) ? bindExpression(meta, operand) : operand;
}

function operandSql(compiler: QueryCompiler, operand: Operand): Sql {
  return isExpression(operand) ? operand.toSql(compiler) : sql`${operand}`;
}

/** An expression with its names checked against `meta` (those that name nothing pass through). */
export function bindExpression(meta: ModelMeta, expression: Expression): Expression {
  return expression.bind ? expression.bind(meta) : expression;
}

/** A lookup's prepared value with every expression in it bound: a single value, or the items of `in`/`range`. */
export function bindValue(meta: ModelMeta, value: unknown): unknown {
  if (isExpression(value)) return bindExpression(meta, value);
  if (Array.isArray(value) && value.some(isExpression)) return value.map((item: unknown) => bindValue(meta, item));
  return value;
}

/**
 * An update()'s new value for `name`, bound: UPDATE cannot join, so an F() may name only the model's own
 * fields there (the WHERE may still cross relations).
 */
export function bindUpdateValue(meta: ModelMeta, name: string, expression: Expression): Expression {
  const bound = bindExpression(meta, expression);
  const crossing = columnsOf(bound).find((column) => column.steps.length > 0);
  if (crossing) {
    throw new ValidationError(`${meta.name}.objects.update({ ${name}: ... }): ${crossing} reaches across a relation, which an UPDATE cannot join; use the model's own fields`, meta.name, name);
  }
  return bound;
}

function columnsOf(expression: Operand): ColumnReference[] {
  if (expression instanceof ColumnReference) return [expression];
  if (expression instanceof Combined) return [...columnsOf(expression.left), ...columnsOf(expression.right)];
  return [];
}

/** `orm.F("views")`: a reference to a column of the queried row. */
export function F(name: string): FieldReference {
  return new FieldReference(name);
}
