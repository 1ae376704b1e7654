import sql, { raw } from "sql-template-tag";
import { createSqliteDriver, SQLITE_LOWER_FUNCTION } from "../drivers/sqlite.js";
import type { ColumnKind, DecimalField, Field, StringField } from "../model/fields.js";
import {
  commonCodecs,
  likeMatch,
  limitOffsetClause,
  numericBoolean,
  quoteIdentifier,
  quoteString,
  standardLiteral,
  type Codec,
  type Dialect,
} from "./dialect.js";

const COLUMN_TYPES: Record<ColumnKind, (field: Field) => string> = {
  integer: () => "INTEGER",
  bigint: () => "INTEGER",
  float: () => "REAL",
  // NUMERIC affinity keeps numbers comparable; values past a double's precision stay exact as TEXT.
  decimal: (field) => `NUMERIC(${(field as DecimalField).options.maxDigits}, ${(field as DecimalField).options.decimalPlaces})`,
  boolean: () => "INTEGER",
  string: (field) => `VARCHAR(${(field as StringField).maxLength})`,
  text: () => "TEXT",
  date: () => "TEXT",
  time: () => "TEXT",
  datetime: () => "TEXT",
  json: () => "TEXT",
  uuid: () => "TEXT",
};

const CODECS: Record<ColumnKind, Codec> = { ...commonCodecs, boolean: numericBoolean };

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
  insertDefaultValues: "DEFAULT VALUES",
  tableOptions: "",
  selfSubquery: (select) => select,
  // Isolation in SQLite is always serializable; IMMEDIATE takes the write lock up front so two writers never deadlock.
  begin: () => ["BEGIN IMMEDIATE"],
};
