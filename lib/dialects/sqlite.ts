import sql, { empty, join, raw } from "sql-template-tag";
import { createSqliteDriver, SQLITE_LOWER_FUNCTION, SQLITE_UPPER_FUNCTION } from "../drivers/sqlite.js";
import type { ColumnKind, DecimalField, Field } from "../model/fields.js";
import {
  commonCodecs,
  decimalType,
  likeMatch,
  limitOffsetClause,
  numericBoolean,
  onConflictClause,
  quoteIdentifier,
  quoteString,
  standardLiteral,
  varcharType,
  type Codec,
  type Dialect,
  boundRows,
  updateFromClause,
} from "./dialect.js";
import type { Row } from "../drivers/driver.js";
import { groupColumns, parseTypeName, referentialAction, type CatalogReader } from "./catalog.js";

/** The list as JSON text: bigints as their digits (JSON.stringify refuses them), booleans as SQLite stores them. */
function jsonArray(values: readonly unknown[]): string {
  return `[${values.map((value) => (typeof value === "bigint" ? value.toString() : typeof value === "boolean" ? (value ? "1" : "0") : JSON.stringify(value))).join(",")}]`;
}

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
 * Numbers of decimal texts. Columns of prices and quantities hold few distinct values, and finding one's text
 * here costs a quarter of reading it again (10,000 rows' prices: 0.5 ms of bulkCreate's 2.5 ms outside SQLite).
 */
const MAX_DECIMAL_NUMBERS = 1024;
const decimalNumbers = new Map<string, number>();

function decimalNumber(text: string): number {
  let number = decimalNumbers.get(text);
  if (number === undefined) {
    number = Number(text);
    if (decimalNumbers.size < MAX_DECIMAL_NUMBERS) decimalNumbers.set(text, number);
  }
  return number;
}

/**
 * A decimal wider than a double, as fixed-width text whose byte order is the numeric order: "0" and the
 * zero-padded digits for values >= 0, "-" and their nines' complement below 0. So `=`, `<`, `in`, `range`
 * and ORDER BY stay exact; SQL arithmetic on such a column does not apply.
 */
const decimalCodec: Codec = {
  encode(value, field) {
    if (typeof value !== "string") return value;
    // A narrow one as the double its column holds: an aggregate or arithmetic has no NUMERIC affinity to turn
    // text into a number, and SQLite orders every number before every text (`SUM(price) > '1.00'` held for none).
    if (!isWideDecimal(field)) return decimalNumber(value);
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

/** strftime formats of the numeric date parts. */
const SQLITE_DATE_FORMATS = { year: "%Y", month: "%m", day: "%d", hour: "%H", minute: "%M" } as const;

/** `*`, `?` and `[` are GLOB's wildcards; a bracket around each makes it literal. */
function escapeGlob(value: string): string {
  return value.replace(/[*?[]/g, (char) => `[${char}]`);
}

/** Where a quoted string or name that opens at `index` closes ('...', "...", `...`, [...]), or `index` itself. */
function pastQuoted(text: string, index: number): number {
  const close = { "'": "'", '"': '"', "`": "`", "[": "]" }[text[index]!];
  if (!close) return index;
  const end = text.indexOf(close, index + 1);
  return end < 0 ? text.length : end;
}

const CHECK_KEYWORD = /\bCHECK\s*\(/iy;

/** The CHECK constraints of a CREATE TABLE statement, which SQLite keeps only as text: each one's parenthesised expression. */
export function checksOfCreateTable(text: string): string[] {
  const checks: string[] = [];
  for (let index = 0; index < text.length; index = pastQuoted(text, index) + 1) {
    CHECK_KEYWORD.lastIndex = index;
    if (!CHECK_KEYWORD.test(text)) continue;
    const open = CHECK_KEYWORD.lastIndex - 1;
    let depth = 0;
    for (index = open; index < text.length; index = pastQuoted(text, index) + 1) {
      if (text[index] === "(") depth++;
      else if (text[index] === ")" && --depth === 0) break;
    }
    checks.push(text.slice(open, index + 1));
  }
  return checks;
}

/** A UNIQUE constraint's name, from CREATE TABLE's text (SQLite's catalog knows only its index, sqlite_autoindex_<table>_<n>); undefined for an unnamed one. */
function uniqueName(text: string, columns: readonly string[]): string | undefined {
  const unquote = (name: string) => name.trim().replace(/^(["`[])([\s\S]*)["`\]]$/, "$2").replace(/""/g, '"');
  for (const [, name, list] of text.matchAll(/CONSTRAINT\s+("(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|\w+)\s+UNIQUE\s*\(([^)]*)\)/gi)) {
    const named = list!.split(",").map(unquote);
    if (named.length === columns.length && named.every((column, position) => column === columns[position])) return unquote(name!);
  }
  return undefined;
}

/** sqlite_schema and the table pragmas (table_xinfo, foreign_key_list, index_list, index_info). */
const sqliteCatalog: CatalogReader = {
  async readTables(query) {
    const tables = await query(sql`SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name`);
    const read = await Promise.all(
      tables.map(async ({ name, sql: text }) => {
        const table = String(name);
        const [columns, keys, indexList] = await Promise.all([
          query(sql`SELECT name, type, "notnull" AS not_null, dflt_value, pk FROM pragma_table_xinfo(${table}) WHERE hidden <> 1 ORDER BY cid`),
          query(sql`SELECT id, "table" AS referenced_table, "from" AS column_name, "to" AS referenced_column, on_delete FROM pragma_foreign_key_list(${table}) ORDER BY id, seq`),
          query(sql`SELECT l.name, l."unique" AS is_unique, l.origin, l.partial, s.sql FROM pragma_index_list(${table}) l LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = l.name`),
        ]);
        const indexes = await Promise.all(
          indexList.map(async (index) => ({
            index,
            columns: (await query(sql`SELECT name FROM pragma_index_info(${String(index.name)}) ORDER BY seqno`)).map((row) =>
              row.name === null ? "(expression)" : String(row.name),
            ),
          })),
        );
        return { table, text: String(text ?? ""), columns, keys, indexes };
      }),
    );
    const primaryKeys = new Map(read.map(({ table, columns }) => [table, keyColumns(columns)]));
    return read.map(({ table, text, columns, keys, indexes }) => {
      const primaryKey = keyColumns(columns);
      // A single INTEGER PRIMARY KEY column is the rowid: SQLite generates it.
      const rowid = primaryKey.length === 1 ? primaryKey[0] : undefined;
      return {
        name: table,
        columns: columns.map((row) => ({
          name: String(row.name),
          type: parseTypeName(String(row.type)),
          nullable: Number(row.not_null) === 0 && !primaryKey.includes(String(row.name)),
          default: row.dflt_value === null || /^NULL$/i.test(String(row.dflt_value)) ? null : String(row.dflt_value),
          generated: row.name === rowid && /^integer$/i.test(String(row.type)),
        })),
        primaryKey,
        foreignKeys: [...groupColumns(keys, (row) => String(row.id))].map(([, rows]) => {
          const referencedTable = String(rows[0]!.referenced_table);
          return {
            name: "",
            columns: rows.map((row) => String(row.column_name)),
            referencedTable,
            // REFERENCES t without columns means t's primary key.
            referencedColumns: rows.map((row, position) =>
              row.referenced_column === null ? (primaryKeys.get(referencedTable)?.[position] ?? "") : String(row.referenced_column),
            ),
            onDelete: referentialAction(rows[0]!.on_delete),
          };
        }),
        uniques: indexes.filter(({ index }) => index.origin === "u").map(({ columns }) => ({ name: uniqueName(text, columns) ?? "", columns })),
        indexes: indexes
          .filter(({ index }) => index.origin === "c")
          .map(({ index, columns }) => {
            const where = Number(index.partial) === 1 ? /\bWHERE\b([\s\S]*)$/i.exec(String(index.sql))?.[1]?.trim() : undefined;
            return { name: String(index.name), columns, unique: Number(index.unique) === 1, ...(where ? { where } : {}) };
          }),
        checks: checksOfCreateTable(text).map((expression) => ({ name: "", expression })),
      };
    });
  },
};

/** The primary key's columns in key order, from table_xinfo's pk positions. */
function keyColumns(columns: readonly Row[]): string[] {
  return columns
    .filter((row) => Number(row.pk) > 0)
    .sort((a, b) => Number(a.pk) - Number(b.pk))
    .map((row) => String(row.name));
}

export const sqliteDialect: Dialect = {
  name: "sqlite",
  // SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32.
  maxParameters: 32_766,
  // One JSON array, read back as rows by json_each; the column's affinity applies to its values as to bound ones.
  inList: (expression, values) => sql`${expression} IN (SELECT value FROM json_each(${jsonArray(values)}))`,
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
  upper: (expression) => sql`${raw(SQLITE_UPPER_FUNCTION)}(${expression})`,
  length: (expression) => sql`LENGTH(${expression})`,
  concat: (parts) => join(parts.map((part) => sql`COALESCE(${part}, '')`), " || "),
  // The text a DateTime column holds (toISOString's form), so that comparisons with columns hold.
  now: raw("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"),
  datePart(part, column) {
    if (part === "date") return sql`date(${column})`;
    if (part === "week_day") return sql`(CAST(strftime('%w', ${column}) AS INTEGER) + 1)`;
    return sql`CAST(strftime(${raw(`'${SQLITE_DATE_FORMATS[part]}'`)}, ${column}) AS INTEGER)`;
  },
  // BEGIN IMMEDIATE already holds the database's one write lock for the whole transaction.
  lockRows: () => empty,
  locksOuterJoins: true,
  nullsOrdering: true,
  distinctOn: false,
  onConflict: onConflictClause,
  typedValue: (value) => value,
  returning: (columns) => sql` RETURNING ${columns}`,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, "-1"),
  afterExplicitKeys: () => undefined,
  valuesPerInsert: 2048,
  largestKey: (table, column) => sql`SELECT COALESCE(MAX(${raw(quoteIdentifier(column, '"'))}), 0) FROM ${raw(quoteIdentifier(table, '"'))}`,
  ignoreDuplicates: () => " ON CONFLICT DO NOTHING",
  maxBoundValues: 32_766,
  insertDefaultValues: "DEFAULT VALUES",
  indexesForeignKeys: false,
  tableOptions: "",
  selfSubquery: (select) => select,
  // SQLite names a VALUES list's columns column1, column2, ...: a SELECT renames them.
  valuesTable: (alias, columns, _fields, rows) =>
    sql`(SELECT ${raw(columns.map((column, index) => `column${index + 1} AS ${column}`).join(", "))} FROM (VALUES ${boundRows(rows, "(", ")", ", ")})) AS ${raw(alias)}`,
  updateFrom: updateFromClause,
  // Isolation in SQLite is always serializable; IMMEDIATE takes the write lock up front so two writers never deadlock.
  begin: () => ["BEGIN IMMEDIATE"],
  arithmeticRefusal: (field) =>
    field.kind === "decimal" && isWideDecimal(field)
      ? `SQLite stores a Decimal wider than 15 digits (${field.owner.name}.${field.name}, maxDigits ${(field as DecimalField).options.maxDigits}) as order-preserving text, which SQL cannot add up; read the values and add them in JS, or use maxDigits <= 15`
      : undefined,
  explainPrefix: "EXPLAIN QUERY PLAN ",
  // One row per step, each under its parent: indented as the sqlite3 shell prints it.
  planText(rows) {
    const depth = new Map<unknown, number>();
    return rows
      .map((row) => {
        const level = (depth.get(row.parent) ?? -1) + 1;
        depth.set(row.id, level);
        return `${"  ".repeat(level)}${String(row.detail)}`;
      })
      .join("\n");
  },
  average: (column, distinct) => sql`AVG(${raw(distinct ? "DISTINCT " : "")}${column})`,
  client: (url) => ({ command: "sqlite3", args: [url.filename], env: {} }),
  scratch: { url: "sqlite::memory:", rollback: false, enter: () => [], leave: () => [] },
  catalog: sqliteCatalog,
  migrations: {
    transactionalDdl: true,
    // BEGIN IMMEDIATE (see begin) takes the database's write lock: a second run waits for it, up to busy_timeout.
    lock: {},
    // A table rebuild drops the old table, and DROP TABLE deletes its rows first: with foreign keys on, that fires
    // ON DELETE CASCADE on the tables referencing it, deferred (defer_foreign_keys) or not. foreign_keys cannot
    // change inside a transaction, so it is off around the run, and foreign_key_check runs before each COMMIT.
    session: { before: ["PRAGMA foreign_keys = OFF", "PRAGMA busy_timeout = 600000"], after: ["PRAGMA foreign_keys = ON"] },
    foreignKeyCheck: "PRAGMA foreign_key_check",
    // No ALTER COLUMN, no ADD/DROP CONSTRAINT: those changes rebuild the table.
    alterColumn: () => undefined,
    // ADD COLUMN takes no UNIQUE, no key, no NOT NULL without a default; a foreign key is rebuilt too.
    addColumn: (table, definition, field, foreignKey) =>
      field.options.unique || field.primaryKey || foreignKey || (!field.allowNull && field.schemaDefault === undefined)
        ? undefined
        : [`ALTER TABLE ${quote(table)} ADD COLUMN ${definition}`],
    dropColumn: () => undefined,
    dropIndex: (_table, name) => `DROP INDEX IF EXISTS ${quote(name)}`,
    // The rebuild SQLite documents (https://www.sqlite.org/lang_altertable.html#otheralter), foreign keys off.
    rebuildTable: (table, temporary, create, columns, expressions, indexes) => [
      create,
      `INSERT INTO ${quote(temporary)} (${columns.map(quote).join(", ")}) SELECT ${expressions.join(", ")} FROM ${quote(table)}`,
      `DROP TABLE ${quote(table)}`,
      `ALTER TABLE ${quote(temporary)} RENAME TO ${quote(table)}`,
      ...indexes,
    ],
  },
};

function quote(identifier: string): string {
  return quoteIdentifier(identifier, '"');
}
