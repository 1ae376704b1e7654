import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { ValidationError } from "../errors.js";
import type { Database } from "../database.js";

/** What a field stores, independent of the database: each dialect maps a kind to a column type and a codec. */
export type ColumnKind =
  | "integer"
  | "bigint"
  | "float"
  | "decimal"
  | "boolean"
  | "string"
  | "text"
  | "date"
  | "time"
  | "datetime"
  | "json"
  | "uuid";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface FieldOptions<T> {
  primaryKey?: boolean;
  allowNull?: boolean;
  default?: T | (() => T);
  unique?: boolean;
  index?: boolean;
  /** The column's name in the database, when it differs from the field's. */
  column?: string;
  /**
   * Checks of a value to be written, run with the type checks (on create, save, update(), bulkCreate): each
   * returns a message (`"must be even"`) where the value is refused, nothing where it is accepted. Not run for null.
   */
  validators?: readonly Validator<NonNullable<T>>[];
}

/** A field's own check of a value: a message where it refuses it (`"must be even"`), nothing where it accepts it. */
export type Validator<T> = {
  // Method syntax: a field of numbers is a field of values, so its validators' parameter is read bivariantly.
  check(value: T): string | undefined | void;
}["check"];

/** Where a field is declared; set by Model.define, used in messages. */
export interface FieldOwner {
  readonly name: string;
}

/**
 * One column of a model: its kind, its options, and the check that turns what user code passes
 * into the value stored. The type parameters only carry types: the value, whether null is allowed,
 * and whether `create()` may leave the field out.
 */
export abstract class Field<
  T = unknown,
  Nullable extends boolean = boolean,
  Optional extends boolean = boolean,
  Primary extends boolean = boolean,
> {
  declare readonly valueType: T;
  declare readonly nullable: Nullable;
  declare readonly optional: Optional;
  declare readonly primary: Primary;
  abstract readonly kind: ColumnKind;
  /** Set by Model.define. */
  name = "";
  /** Set by Model.define: the field's position among its model's fields, and in each instance's slots. */
  slot = -1;
  column = "";
  owner: FieldOwner = { name: "?" };

  constructor(readonly options: FieldOptions<T> = {}) {}

  get primaryKey(): boolean {
    return this.options.primaryKey === true;
  }

  /** The same declaration, not yet part of any model: each model sharing a field set gets its own (see orm.fields()). */
  copy(): this {
    return new (this.constructor as new (options: FieldOptions<T>) => this)(this.options);
  }

  get allowNull(): boolean {
    return this.options.allowNull === true;
  }

  /** Whether the database generates the value (an auto-increment primary key). */
  get generated(): boolean {
    return false;
  }

  /** The value a new instance gets when none is given, or undefined. */
  defaultValue(): T | null | undefined {
    const fallback = this.options.default;
    if (typeof fallback === "function") return (fallback as () => T)();
    if (fallback !== undefined) return fallback;
    return this.allowNull ? null : undefined;
  }

  /** A static default the schema can state as a column DEFAULT; functions cannot be. */
  get schemaDefault(): T | undefined {
    const fallback = this.options.default;
    return typeof fallback === "function" ? undefined : fallback;
  }

  /** The column's name when the field does not set one. */
  defaultColumn(): string {
    return this.name;
  }

  /** The field whose column type this column copies (a foreign key copies its target's key). */
  get typeSource(): Field {
    return this;
  }

  /** What the column stores for a field value (a foreign key stores the related row's key). */
  toColumn(value: unknown): unknown {
    return value;
  }

  /**
   * The field value for what the column held, once decoded; undefined where it is the same. A row keeps the
   * decoded value and calls this on the field's first read (see defineFieldAccessors): most rows never read it.
   */
  readonly fromColumn: ((value: unknown, database?: Database) => unknown) | undefined = undefined;

  /**
   * What an assignment `instance.field = value` stores: the value checked as create() checks it (a foreign key
   * also checks that the row assigned lives where `owner` does).
   */
  assign(value: unknown, owner?: object): unknown {
    void owner;
    return this.validate(value);
  }

  /** A value to compare this field with in a filter; integer fields also take the canonical text of one (`"12"`). */
  validateLookup(value: unknown): T | null {
    return this.validate(value);
  }

  /** The `validators` option's refusal of a value to be written, or undefined. */
  refusal(value: unknown): ValidationError | undefined {
    const validators = this.options.validators;
    if (!validators || value === null || value === undefined) return undefined;
    for (const validator of validators) {
      const message = validator(value as NonNullable<T>);
      if (typeof message === "string") return this.invalid(message);
    }
    return undefined;
  }

  /** Checks and normalises a value from user code. */
  validate(value: unknown): T | null {
    if (value === null || value === undefined) {
      if (this.allowNull) return null;
      throw this.invalid(value === null ? "may not be null (allowNull is false)" : "is required");
    }
    return this.check(value);
  }

  protected abstract check(value: unknown): T;

  invalid(reason: string): ValidationError {
    return new ValidationError(`${this.owner.name}.${this.name} ${reason}`, this.owner.name, this.name);
  }

  protected expected(what: string, value: unknown): ValidationError {
    return this.invalid(`expects ${what}, got ${describe(value)}`);
  }
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "bigint") return `the bigint ${value}n`;
  return `${typeof value} ${String(value)}`;
}

// ----- numbers -----

export interface NumberOptions<T> extends FieldOptions<T> {
  minimum?: T;
  maximum?: T;
}

abstract class BoundedField<T extends number | bigint> extends Field<T> {
  declare readonly options: NumberOptions<T>;

  protected bounded(value: T, low: T, high: T): T {
    const { minimum = low, maximum = high } = this.options;
    if (value < minimum) throw this.invalid(`must be at least ${minimum}, got ${value}`);
    if (value > maximum) throw this.invalid(`must be at most ${maximum}, got ${value}`);
    return value;
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The text of an integer as a URL or a form carries it, and nothing else: no sign on 0, no leading zeros, no spaces or exponent. */
const CANONICAL_INTEGER = /^(?:0|-?[1-9]\d*)$/;

export class IntegerField extends BoundedField<number> {
  readonly kind = "integer";

  override get generated(): boolean {
    return this.primaryKey && this.options.default === undefined;
  }

  // `get({ pk: req.params.id })`, as Django takes it.
  override validateLookup(value: unknown): number | null {
    return this.validate(typeof value === "string" && CANONICAL_INTEGER.test(value) ? Number(value) : value);
  }

  protected check(value: unknown): number {
    if (typeof value !== "number" || !Number.isInteger(value)) throw this.expected("an integer", value);
    return this.bounded(value, INT32_MIN, INT32_MAX);
  }
}

export class BigIntegerField extends BoundedField<bigint> {
  readonly kind = "bigint";

  override get generated(): boolean {
    return this.primaryKey && this.options.default === undefined;
  }

  override validateLookup(value: unknown): bigint | null {
    return this.validate(typeof value === "string" && CANONICAL_INTEGER.test(value) ? BigInt(value) : value);
  }

  protected check(value: unknown): bigint {
    if (typeof value === "number" && Number.isSafeInteger(value)) value = BigInt(value);
    if (typeof value !== "bigint") throw this.expected("a bigint (or a safe integer number)", value);
    return this.bounded(value as bigint, INT64_MIN, INT64_MAX);
  }
}

export class FloatField extends BoundedField<number> {
  readonly kind = "float";

  protected check(value: unknown): number {
    if (typeof value !== "number" || !Number.isFinite(value)) throw this.expected("a finite number", value);
    return this.bounded(value, -Number.MAX_VALUE, Number.MAX_VALUE);
  }
}

export interface DecimalOptions extends FieldOptions<string> {
  maxDigits: number;
  decimalPlaces: number;
}

/** Exact decimals travel as strings: "12.50", never a double. */
export class DecimalField extends Field<string> {
  readonly kind = "decimal";
  declare readonly options: DecimalOptions;

  /** Canonical texts of numbers SQLite handed back (NUMERIC columns give doubles), the first 1,024 seen. */
  readonly #texts = new Map<number, string>();
  /** The last text read back that was canonical: a column of prices repeats a few values, row after row. */
  #lastCanonical: string | undefined;

  /**
   * Whether `text` is the canonical text of a value this field holds ("12.50" for 2 places: no sign, no
   * leading zero but "0" itself, every place written), as the servers return DECIMALs. Read char by char:
   * it runs for every decimal of every row, and costs half what a regular expression does.
   */
  #isCanonical(text: string): boolean {
    const { maxDigits, decimalPlaces } = this.options;
    const wholeDigits = maxDigits - decimalPlaces;
    const point = decimalPlaces > 0 ? text.length - decimalPlaces - 1 : text.length;
    if (point < 1 || point > Math.max(wholeDigits, 1)) return false;
    if (decimalPlaces > 0 && text.charCodeAt(point) !== 46 /* . */) return false;
    if (text.charCodeAt(0) === 48 /* 0 */ ? point > 1 : wholeDigits === 0) return false;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if ((code < 48 || code > 57) && index !== point) return false;
    }
    return true;
  }

  protected check(value: unknown): string {
    if (typeof value === "string" && this.#isCanonical(value)) return value;
    if (typeof value === "number") {
      // A number whose fixed text reads back as itself has no more places than that text (1.005 does not: "1.00").
      const fixed = value.toFixed(this.options.decimalPlaces);
      if (Number(fixed) === value && this.#isCanonical(fixed)) return fixed;
    }
    let text: string;
    if (typeof value === "number" && Number.isFinite(value)) text = String(value);
    else if (typeof value === "bigint") text = String(value);
    else if (typeof value === "string") text = value.trim();
    else throw this.expected("a decimal string such as \"12.50\"", value);
    const match = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text);
    if (!match || (match[2] === "" && !match[3])) throw this.expected("a decimal string such as \"12.50\"", value);
    const { maxDigits, decimalPlaces } = this.options;
    const whole = match[2]!.replace(/^0+(?=\d)/, "") || "0";
    const fraction = (match[3] ?? "").replace(/0+$/, "");
    if (fraction.length > decimalPlaces) {
      throw this.invalid(`allows ${decimalPlaces} decimal places, got ${JSON.stringify(text)}`);
    }
    if (whole !== "0" && whole.length > maxDigits - decimalPlaces) {
      throw this.invalid(`allows ${maxDigits - decimalPlaces} digits before the point (maxDigits ${maxDigits}), got ${JSON.stringify(text)}`);
    }
    return formatDecimal(match[1] === "-", whole, fraction, decimalPlaces);
  }

  /** Canonical text of what a database returned: SQLite may hand back a number or a bigint. */
  normalize(raw: unknown): string {
    if (raw === this.#lastCanonical) return raw as string;
    if (typeof raw === "string" && this.#isCanonical(raw)) return (this.#lastCanonical = raw);
    if (typeof raw === "number") {
      // Columns of prices and quantities hold few distinct values: their text is made once each.
      const known = this.#texts.get(raw);
      if (known !== undefined) return known;
      // toFixed is already canonical, but for a negative zero ("-0.00").
      const fixed = raw.toFixed(this.options.decimalPlaces);
      const text = fixed.startsWith("-0") && !/[1-9]/.test(fixed) ? fixed.slice(1) : fixed;
      if (this.#texts.size < 1024) this.#texts.set(raw, text);
      return text;
    }
    const text = typeof raw === "number" ? raw.toFixed(this.options.decimalPlaces) : String(raw);
    const match = /^(-)?(\d+)(?:\.(\d*))?$/.exec(text);
    if (!match) return text;
    return formatDecimal(match[1] === "-", match[2]!, (match[3] ?? "").replace(/0+$/, ""), this.options.decimalPlaces);
  }
}

function formatDecimal(negative: boolean, whole: string, fraction: string, places: number): string {
  const digits = places > 0 ? `${whole}.${fraction.padEnd(places, "0")}` : whole;
  return negative && /[1-9]/.test(digits) ? `-${digits}` : digits;
}

// ----- booleans and strings -----

export class BooleanField extends Field<boolean> {
  readonly kind = "boolean";

  protected check(value: unknown): boolean {
    if (typeof value !== "boolean") throw this.expected("a boolean", value);
    return value;
  }
}

export interface StringOptions extends FieldOptions<string> {
  /** Characters (code points), as the databases count them. Default 255. */
  maxLength?: number;
}

/** String.prototype.isWellFormed (Node 20), newer than the TypeScript lib this builds against. */
type WellFormed = string & { isWellFormed(): boolean };

const LONE_SURROGATE = "contains a lone UTF-16 surrogate (half of a pair, e.g. \\ud800): no database stores it, each would put U+FFFD in its place";

export class StringField extends Field<string> {
  readonly kind: ColumnKind = "string";
  declare readonly options: StringOptions;

  get maxLength(): number {
    return this.options.maxLength ?? 255;
  }

  protected check(value: unknown): string {
    if (typeof value !== "string") throw this.expected("a string", value);
    if (value.length > this.maxLength) {
      const length = [...value].length;
      if (length > this.maxLength) throw this.invalid(`is ${length} characters long; maxLength is ${this.maxLength}`);
    }
    return this.checkText(value);
  }

  /**
   * PostgreSQL cannot store NUL in text, so no database may: the same data must fit all three. A lone UTF-16
   * surrogate is not text in any encoding a database stores: each would silently put U+FFFD in its place.
   */
  protected checkText(value: string): string {
    if (value.includes("\u0000")) throw this.invalid("may not contain the NUL character (\\u0000)");
    if (!(value as WellFormed).isWellFormed()) throw this.invalid(LONE_SURROGATE);
    return value;
  }
}

export class TextField extends StringField {
  override readonly kind = "text";

  override get maxLength(): number {
    return this.options.maxLength ?? Number.POSITIVE_INFINITY;
  }
}

export class EnumField<V extends string = string> extends StringField {
  constructor(
    readonly choices: readonly V[],
    options: FieldOptions<V> = {},
  ) {
    super({ ...options, maxLength: Math.max(1, ...choices.map((choice) => [...choice].length)) } as StringOptions);
    if (choices.length === 0) throw new TypeError("Enum() needs at least one choice");
  }

  override copy(): this {
    return new EnumField(this.choices, this.options as FieldOptions<V>) as this;
  }

  protected override check(value: unknown): string {
    if (typeof value !== "string" || !(this.choices as readonly string[]).includes(value)) {
      throw this.invalid(`must be one of ${this.choices.map((choice) => JSON.stringify(choice)).join(", ")}; got ${describe(value)}`);
    }
    return value;
  }
}

/** A string checked by a pattern or predicate: Email, URL, IPAddress. */
class CheckedStringField extends StringField {
  constructor(
    private readonly what: string,
    private readonly accepts: (value: string) => boolean,
    options: StringOptions,
    defaultLength: number,
  ) {
    super({ maxLength: defaultLength, ...options });
  }

  override copy(): this {
    return new CheckedStringField(this.what, this.accepts, this.options, this.options.maxLength ?? 0) as this;
  }

  protected override check(value: unknown): string {
    const text = super.check(value);
    if (!this.accepts(text)) throw this.expected(this.what, value);
    return text;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" || url.protocol === "ftp:";
  } catch {
    return false;
  }
}

export function emailField(options: StringOptions = {}): StringField {
  return new CheckedStringField("an email address", (text) => EMAIL.test(text), options, 254);
}

export function urlField(options: StringOptions = {}): StringField {
  return new CheckedStringField("an absolute URL", isHttpUrl, options, 2048);
}

export function ipAddressField(options: StringOptions = {}): StringField {
  return new CheckedStringField("an IPv4 or IPv6 address", (text) => isIP(text) !== 0, options, 45);
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class UUIDField extends Field<string> {
  readonly kind = "uuid";

  override defaultValue(): string | null | undefined {
    if (this.primaryKey && this.options.default === undefined) return randomUUID();
    return super.defaultValue();
  }

  protected check(value: unknown): string {
    if (typeof value !== "string" || !UUID_PATTERN.test(value)) throw this.expected("a UUID string", value);
    return value.toLowerCase();
  }
}

// ----- dates and times -----

export class DateField extends Field<string> {
  readonly kind = "date";

  protected check(value: unknown): string {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
    if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value) || !isRealDate(value)) {
      throw this.expected("a \"YYYY-MM-DD\" date", value);
    }
    return value;
  }
}

function isRealDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

export class TimeField extends Field<string> {
  readonly kind = "time";

  protected check(value: unknown): string {
    const match = typeof value === "string" ? /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(value) : null;
    if (!match) throw this.expected("a \"HH:MM:SS\" time", value);
    return `${match[1]}:${match[2]}:${match[3] ?? "00"}`;
  }
}

export interface DateTimeOptions extends FieldOptions<Date> {
  /** Set to the current time on every save. */
  autoNow?: boolean;
  /** Set to the current time when the row is first inserted. */
  autoNowAdd?: boolean;
}

export class DateTimeField extends Field<Date> {
  readonly kind = "datetime";
  declare readonly options: DateTimeOptions;

  override defaultValue(): Date | null | undefined {
    if (this.options.autoNow || this.options.autoNowAdd) return new Date();
    return super.defaultValue();
  }

  protected check(value: unknown): Date {
    const date = value instanceof Date ? value : typeof value === "string" && value !== "" ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) throw this.expected("a valid Date (or an ISO 8601 string)", value);
    // Beyond these years SQLite stores text ("+275760-...") that sorts before 2020, and MariaDB refuses them.
    const year = date.getUTCFullYear();
    if (year < 1 || year > 9999) throw this.invalid(`is in the year ${year}; a DateTime is between the years 1 and 9999 (what every database stores and orders)`);
    return value === date ? new Date(date.getTime()) : date;
  }
}

// ----- JSON -----

export class JSONField extends Field<JsonValue> {
  readonly kind = "json";

  protected check(value: unknown): JsonValue {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw this.invalid(`expects a JSON value: ${(error as Error).message}`);
    }
    if (text === undefined) throw this.expected("a JSON value", value);
    // JSON.stringify writes NUL and lone surrogates as \u escapes; an escaped backslash before "u" is not one.
    const escape = /(?<!\\)(?:\\\\)*\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})/.exec(text);
    if (escape) throw this.invalid(escape[1] === "0000" ? "may not contain the NUL character (\\u0000)" : LONE_SURROGATE);
    return value as JsonValue;
  }
}
