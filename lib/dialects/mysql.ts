import sql, { empty, raw, type Sql } from "sql-template-tag";
import { createMysqlDriver } from "../drivers/mysql.js";
import type { ColumnKind, Field } from "../model/fields.js";
import { formatUtcTimestamp } from "./timestamps.js";
import {
  commonCodecs,
  decimalType,
  isolationClause,
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
  integer: () => "INT",
  bigint: () => "BIGINT",
  float: () => "DOUBLE",
  decimal: decimalType("DECIMAL"),
  boolean: () => "BOOLEAN",
  string: varcharType,
  text: () => "LONGTEXT",
  date: () => "DATE",
  time: () => "TIME",
  datetime: () => "DATETIME(3)",
  json: () => "JSON",
  uuid: () => "CHAR(36)",
};

const CODECS: Record<ColumnKind, Codec> = {
  ...commonCodecs,
  boolean: numericBoolean,
  datetime: { ...commonCodecs.datetime, encode: (value) => formatUtcTimestamp(value as Date) },
};

export const mysqlDialect: Dialect = {
  name: "mysql",
  createDriver: createMysqlDriver,
  quote: (identifier) => quoteIdentifier(identifier, "`"),
  text: (statement) => statement.sql,
  columnType: (field) => COLUMN_TYPES[field.kind](field),
  autoPrimaryKey: (field) => `${field.kind === "bigint" ? "BIGINT" : "INT"} AUTO_INCREMENT PRIMARY KEY`,
  codec: (kind) => CODECS[kind],
  literal: (value) => standardLiteral(value, (text) => quoteString(text, true)),
  textMatch(expression, value, position, caseInsensitive) {
    return likeMatch(this, expression, value, position, caseInsensitive);
  },
  lower: (expression: Sql) => sql`LOWER(${expression})`,
  // MySQL has no RETURNING on INSERT: the driver's insertId gives the generated key.
  returning: () => empty,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, "18446744073709551615"),
  afterExplicitKeys: () => undefined,
  generatedKeyStep: sql`SELECT @@auto_increment_increment`,
  insertDefaultValues: "() VALUES ()",
  // One bound value for all the rows, never prepared (see the driver): no text of thousands of placeholders to
  // build, for mysql2 to scan and the server to parse, and no limit on parameters per statement.
  manyRows: (_fields, rows) => sql`VALUES ${rows}`,
  // A binary, no-pad collation makes `=` and LIKE case- and space-sensitive, as on PostgreSQL and SQLite.
  indexesForeignKeys: true,
  tableOptions: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin",
  // MySQL refuses a subquery on the table it updates unless it is materialised as a derived table.
  selfSubquery: (select) => sql`SELECT * FROM (${select}) AS ${raw("`_quarry_subquery`")}`,
  begin: (isolation) =>
    isolation ? [`SET TRANSACTION ${isolationClause(isolation)}`, "START TRANSACTION"] : ["START TRANSACTION"],
  arithmeticRefusal: () => undefined,
  // AVG of an integer or decimal is a DECIMAL with only div_precision_increment (4) more digits here.
  average: (column, distinct) => sql`AVG(${raw(distinct ? "DISTINCT " : "")}CAST(${column} AS DOUBLE))`,
};
