import sql, { raw } from "sql-template-tag";
import { createSqliteDriver, SQLITE_LOWER_FUNCTION } from "../drivers/sqlite.js";
import type { ColumnKind, DecimalField, Field } from "../model/fields.js";
import {
  commonCodecs,
  decimalType,
  likeMatch,
  limitOffsetClause,
  numericBoolean,
  quoteIdentifier,
  quoteString,
  standardLiteral,
  varcharType,
  type Codec,
  type Dialect,
} from "./dialect.js";

const COLUMN_TYPES: Record<ColumnKind, (field: Field) => string> = {
  integer: () => "INTEGER",
  bigint: () => "INTEGER",
  float: () => "REAL",
  // NUMERIC affinity stores a double, exact up to 15 digits; wider decimals are order-preserving TEXT (wideDecimal).
  decimal: (field) =>
    isWideDecimal(field) ? "TEXT" : decimalType("NUMERIC")(field),
  boolean: () => "INTEGER",
  string: varcharType,
  text: () => "TEXT",
  date: () => "TEXT",
  time: () => "TEXT",
  datetime: () => "TEXT",
  json: () => "TEXT",
  uuid: () => "TEXT",
};

/** SQLite turns numeric text in a NUMERIC column into a double, which holds 15 significant digits exactly. */
const isWideDecimal = (field: Field) => (field as DecimalField).options.maxDigits > 15;
const ninesComplement = (digits: string) => digits.replace(/\d/g, (digit) => String(9 - Number(digit)));

/**
 * A decimal wider than a double, as fixed-width text whose byte order is the numeric order: "0" and the
 * zero-padded digits for values >= 0, "-" and their nines' complement below 0. So `=`, `<`, `in`, `range`
 * and ORDER BY stay exact; SQL arithmetic on such a column does not apply.
 */
const decimalCodec: Codec = {
  encode(value, field) {
    if (!isWideDecimal(field) || typeof value !== "string") return value;
    const { maxDigits, decimalPlaces } = (field as DecimalField).options;
    const [whole = "", fraction = ""] = value.replace(/^-/, "").split(".");
    const digits = whole.padStart(maxDigits - decimalPlaces, "0") + fraction.padEnd(decimalPlaces, "0");
    return value.startsWith("-") ? `-${ninesComplement(digits)}` : `0${digits}`;
  },
  decode(value, field) {
    if (!isWideDecimal(field) || typeof value !== "string" || !/^[-0]\d+$/.test(value)) return commonCodecs.decimal.decode(value, field);
    const { decimalPlaces } = (field as DecimalField).options;
    const digits = value.startsWith("-") ? ninesComplement(value.slice(1)) : value.slice(1);
    const point = digits.length - decimalPlaces;
    const text = `${value.startsWith("-") ? "-" : ""}${digits.slice(0, point).replace(/^0+(?=\d)/, "")}.${digits.slice(point)}`;
    return (field as DecimalField).normalize(text);
  },
};

const CODECS: Record<ColumnKind, Codec> = { ...commonCodecs, boolean: numericBoolean, decimal: decimalCodec };

/** `*`, `?` and `[` are GLOB's wildcards; a bracket around each makes it literal. */
function escapeGlob(value: string): string {
  return value.replace(/[*?[]/g, (char) => `[${char}]`);
}

export const sqliteDialect: Dialect = {
  name: "sqlite",
  createDriver: createSqliteDriver,
  quote: (identifier) => quoteIdentifier(identifier, '"'),
  text: (statement) => statement.sql,
  columnType: (field) => COLUMN_TYPES[field.kind](field),
  // AUTOINCREMENT: ids of deleted rows are never reused, as on the other databases.
  autoPrimaryKey: () => "INTEGER PRIMARY KEY AUTOINCREMENT",
  codec: (kind) => CODECS[kind],
  literal: (value) => standardLiteral(typeof value === "boolean" ? Number(value) : value, (text) => quoteString(text)),
  textMatch(expression, value, position, caseInsensitive) {
    // SQLite's LIKE folds ASCII only, so it serves the case-insensitive match (with a Unicode lower() on
    // both sides) and GLOB, which is case-sensitive, the exact one.
    if (caseInsensitive) return likeMatch(this, expression, value, position, true);
    const head = position === "end" || position === "anywhere" ? "*" : "";
    const tail = position === "start" || position === "anywhere" ? "*" : "";
    return sql`${expression} GLOB ${head + escapeGlob(value) + tail}`;
  },
  lower: (expression) => sql`${raw(SQLITE_LOWER_FUNCTION)}(${expression})`,
  returning: (columns) => sql` RETURNING ${columns}`,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, "-1"),
  afterExplicitKeys: () => undefined,
  insertDefaultValues: "DEFAULT VALUES",
  indexesForeignKeys: false,
  tableOptions: "",
  selfSubquery: (select) => select,
  // Isolation in SQLite is always serializable; IMMEDIATE takes the write lock up front so two writers never deadlock.
  begin: () => ["BEGIN IMMEDIATE"],
  arithmeticRefusal: (field) =>
    field.kind === "decimal" && isWideDecimal(field)
      ? `SQLite stores a Decimal wider than 15 digits (${field.owner.name}.${field.name}, maxDigits ${(field as DecimalField).options.maxDigits}) as order-preserving text, which SQL cannot add up; read the values and add them in JS, or use maxDigits <= 15`
      : undefined,
  average: (column, distinct) => sql`AVG(${raw(distinct ? "DISTINCT " : "")}${column})`,
};
