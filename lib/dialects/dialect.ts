import sql, { empty, join, raw, Sql } from "sql-template-tag";
import type { DriverFactory, Row } from "../drivers/driver.js";
import type { ColumnKind, DecimalField, Field, StringField } from "../model/fields.js";
import type { DatabaseURL, DialectName } from "../url.js";
import type { CatalogReader } from "./catalog.js";
import { parseTimestamp } from "./timestamps.js";
import type { DatePart } from "../query/transforms.js";

/** Turns a field's value into what the driver binds, and what the driver returns back into the field's value. */
export interface Codec {
  encode(value: unknown, field: Field): unknown;
  decode(raw: unknown, field: Field): unknown;
  /**
   * A column's reader, null included, for the kinds whose columns fill most rows. It runs for every value of
   * every row: a function of its own per kind keeps each call monomorphic, where one wrapper around `decode`
   * would see every codec.
   */
  read?(field: Field): (raw: unknown) => unknown;
}

/** How one kind of field sits in one database: its column type and, where needed, its codec. */
export interface ColumnType {
  type(field: Field): string;
  codec?: Codec;
}

/**
 * Everything that differs between databases in the SQL quarry writes. Nothing outside lib/dialects
 * branches on the database's name: it asks its dialect.
 */
export interface Dialect {
  readonly name: DialectName;
  readonly createDriver: DriverFactory;
  quote(identifier: string): string;
  /** The statement's text with this database's placeholders. */
  text(statement: Sql): string;
  columnType(field: Field): string;
  /** The column definition of an auto-generated integer primary key. */
  autoPrimaryKey(field: Field): string;
  codec(kind: ColumnKind): Codec;
  /** A constant as SQL text, for DDL where parameters are not allowed (column DEFAULTs). */
  literal(value: unknown): string;
  /** `expression` holds `value` literally (no wildcards) at `position`, case-sensitive or not. */
  textMatch(expression: Sql, value: string, position: MatchPosition, caseInsensitive: boolean): Sql;
  /**
   * `expression IN (...)` for a list too long to bind an item a parameter (__in past LONG_LIST items), as one
   * parameter holding the whole list: results as the plain IN gives, whatever the database's bind limit.
   */
  inList(expression: Sql, values: readonly unknown[]): Sql;
  /** Bind parameters one statement may carry; past it a statement is a ValidationError before it is sent. */
  readonly maxParameters: number;
  /** Lower-cases an expression the way the i-lookups compare: Unicode-aware on every database. */
  lower(expression: Sql): Sql;
  /** Upper-cases an expression, Unicode-aware on every database. */
  upper(expression: Sql): Sql;
  /** A text's length in characters, not bytes. */
  length(expression: Sql): Sql;
  /** Texts joined, a null part read as "". */
  concat(parts: readonly Sql[]): Sql;
  /** The current time, as a DateTime column stores it (UTC). */
  readonly now: Sql;
  /** A part of a date or timestamp column, in UTC whatever the session's time zone: a whole number, or a date for "date". */
  datePart(part: DatePart, column: Sql, kind: "date" | "datetime"): Sql;
  /** What ends a SELECT that locks the rows it reads (selectForUpdate); `of` holds table aliases. */
  lockRows(lock: { skipLocked: boolean; noWait: boolean; of: readonly string[] }): Sql;
  /** A locking read may lock the rows of a LEFT-joined table (PostgreSQL refuses the nullable side of an outer join). */
  readonly locksOuterJoins: boolean;
  /** ORDER BY takes NULLS FIRST / NULLS LAST (PostgreSQL, SQLite); elsewhere a sort key of its own places nulls. */
  readonly nullsOrdering: boolean;
  /** SELECT DISTINCT ON (columns) exists (PostgreSQL). */
  readonly distinctOn: boolean;
  /** What ends an INSERT of rows that may clash with existing ones on a unique key: skip them, or update the existing row. */
  onConflict(conflict: Conflict, quote: (identifier: string) => string): string;
  /** A bound value typed as `field`'s column, where the database cannot infer it (a CASE of parameters on PostgreSQL). */
  typedValue(value: Sql, field: Field): Sql;
  /** Added after INSERT to get generated keys back, or "" where the driver reports `insertId` instead. */
  returning(columns: Sql): Sql;
  readonly insertDefaultValues: string;
  /**
   * The rows of a many-row INSERT (each an array of bound values, in `fields` order) as the one clause the
   * INSERT reads them from, whose text is the same for any number of rows: parsed once, binding a parameter
   * per column or one in all rather than one per value. PostgreSQL: unnest of one array per column; MySQL: a
   * VALUES list that mysql2 writes out from one bound array of rows. Absent where many rows go in as
   * `VALUES (…), (…)` lists of at most valuesPerInsert values (SQLite: in-process, no round trip to save).
   */
  manyRows?(fields: readonly Field[], rows: readonly (readonly unknown[])[]): Sql;
  /**
   * Where there is no manyRows clause: the bound values one many-row `INSERT … VALUES (…), (…)` holds at most.
   * Well under SQLite's bind limit: 10,000 four-column rows took 6.3-7.1 ms of CPU in statements of 64 to 2,048
   * rows, 11.6 ms in ones of 8,191 (the limit) and 10.6 ms as a one-row INSERT run per row. Such a statement
   * reports the key of its last row (last_insert_rowid); its other rows' keys run up to it, one apart.
   */
  readonly valuesPerInsert?: number;
  /**
   * Where keys are worked out from insertId: the table's largest key, to check that the next rows' keys follow
   * it one apart. SQLite gives a new row the largest rowid plus one, but picks one at random once the largest is
   * 2^63-1 (a table without AUTOINCREMENT).
   */
  largestKey?(table: string, column: string): Sql;
  /**
   * Added after an INSERT so that a row breaking a unique constraint is skipped, not an error (ON CONFLICT DO
   * NOTHING), while foreign-key and NOT NULL violations still fail; `column` is one of the columns inserted.
   */
  ignoreDuplicates(column: string): string;
  /** Bound values one statement may hold, where a statement lists each (SQLite's SQLITE_MAX_VARIABLE_NUMBER). */
  readonly maxBoundValues: number;
  /**
   * After rows were inserted with their own values for a generated key: the statement that moves the
   * key generator past them, where the database does not do so itself (PostgreSQL's identity sequences).
   */
  afterExplicitKeys(table: string, column: string): Sql | undefined;
  /**
   * Where a many-row INSERT reports only the first key it generated (MySQL's insertId; no RETURNING): the
   * query for the step between its keys, which is 1 but on a cluster that interleaves them (Galera sets
   * auto_increment_increment to the number of nodes).
   */
  readonly generatedKeyStep?: Sql;
  /** LIMIT and OFFSET, either of which may be absent. */
  limitOffset(limit: number | undefined, offset: number | undefined): Sql;
  /** The database indexes a foreign key's column itself (InnoDB), so quarry must not add a second index. */
  readonly indexesForeignKeys: boolean;
  /** Table options after CREATE TABLE's closing parenthesis. */
  readonly tableOptions: string;
  /** A subquery on the table being updated or deleted from, in a form this database accepts. */
  selfSubquery(select: Sql): Sql;
  /**
   * Rows of bound values (one per column) as a derived table `(...) AS alias` whose columns are named `columns`,
   * typed as `fields` where the database needs it: what bulkUpdate joins.
   */
  valuesTable(alias: string, columns: readonly string[], fields: readonly Field[], rows: readonly (readonly unknown[])[]): Sql;
  /** UPDATE of `table` from the rows of `source` matched `on`, setting [column, value] pairs, where `condition` holds too. */
  updateFrom(table: string, source: Sql, on: Sql, sets: readonly (readonly [string, Sql])[], condition: Sql | undefined): Sql;
  /** The statement that sets the isolation level of the transaction about to begin, in its BEGIN. */
  begin(isolation?: IsolationLevel): string[];
  /** Why SQL arithmetic (Sum, Avg, F() + - * /) cannot run on this column here, or undefined where it can. */
  arithmeticRefusal(field: Field): string | undefined;
  /** Put before a SELECT's text to have the database describe its plan instead of running it. */
  readonly explainPrefix: string;
  /** The plan's rows as one text. */
  planText(rows: readonly Record<string, unknown>[]): string;
  /** AVG of a column (of its distinct values), computed in double precision on every database. */
  average(column: Sql, distinct: boolean): Sql;
  /** Reads the tables, keys, indexes and constraints of the connection's schema from this database's catalog. */
  readonly catalog: CatalogReader;
  /**
   * How a server says whether it takes writes (a primary) or only reads (a standby, a read_only replica), for
   * multi-host URLs. Absent for an embedded database, which is always its own primary.
   */
  readonly serverRole?: {
    readonly statement: Sql;
    writable(rows: readonly Row[]): boolean;
    /** The server refused a statement for its role or state (read-only, out of its cluster): another server may take it. */
    outOfService(error: unknown): boolean;
  };
  /**
   * How far a replica's applied changes trail its primary, in ms (the statement and how to read its rows);
   * undefined when it is not replicating at all (stopped, broken). Absent where there is no replication.
   */
  readonly replicaLag?: { readonly statement: Sql; lagMs(rows: readonly Row[]): number | undefined };
  /** Migrations: this database's schema changes, its locks and whether DDL is transactional. */
  readonly migrations: MigrationDialect;
  /**
   * Where a schema can be built and read without touching the connection's own (drift checks build the migrated
   * schema there): statements that make a scratch schema called `name` and point a connection at it, and those
   * that remove it; `rollback` when the whole can run in a transaction that is rolled back instead (transactional
   * DDL); `url` for a database of its own (SQLite: in memory).
   */
  /** The database's own command-line client on `url`: the password goes in its environment, never its arguments. */
  client(url: DatabaseURL): { command: string; args: string[]; env: Record<string, string> };
  readonly scratch: { readonly url?: string; readonly rollback: boolean; enter(name: string): string[]; leave(name: string): string[] };
}

/** A column before or after a change, as ALTER statements need it. */
export interface ColumnChange {
  readonly column: string;
  readonly type: string;
  readonly nullable: boolean;
  /** The DEFAULT's SQL literal, or undefined for none. */
  readonly default: string | undefined;
  /** The whole definition (name, type, NOT NULL, DEFAULT, CHECK), without UNIQUE, for databases that restate it. */
  readonly definition: string;
}

/** What differs between databases in applying migrations. */
export interface MigrationDialect {
  /** DDL runs inside a transaction and rolls back with it (PostgreSQL, SQLite); elsewhere each statement commits itself. */
  readonly transactionalDdl: boolean;
  /**
   * Run first in the migration run's transaction: makes a second `migrate` wait until this one is done. `release`
   * where the lock outlives the transaction (MySQL's GET_LOCK belongs to the session).
   */
  readonly lock: { readonly acquire?: string; readonly release?: string };
  /** Statements around a migration run, outside any transaction (a PRAGMA that a transaction would refuse). */
  readonly session: { readonly before: readonly string[]; readonly after: readonly string[] };
  /** After the migrations of a run, the query whose rows are foreign keys left broken (SQLite checks none during a rebuild). */
  readonly foreignKeyCheck?: string;
  /** ALTER statements for a column whose type, nullability or default changed; undefined where the table must be rebuilt. */
  alterColumn(table: string, from: ColumnChange, to: ColumnChange): string[] | undefined;
  /** ALTER TABLE ADD COLUMN, or undefined where this column cannot be added in place and the table must be rebuilt. */
  addColumn(table: string, definition: string, field: Field, foreignKey: string | undefined): string[] | undefined;
  /**
   * Where a column cannot be dropped while a foreign key uses it (MySQL): the query for the key's name (its
   * rows' `name`), and the statement that drops the key.
   */
  readonly foreignKeyBeforeColumn?: { lookup(table: string, column: string): string; drop(table: string, name: string): string };
  /** ALTER TABLE DROP COLUMN, or undefined where the table must be rebuilt. */
  dropColumn(table: string, column: string, field: Field): string[] | undefined;
  /** A single-column UNIQUE added or dropped, under the name the database gives an inline UNIQUE; absent where the table is rebuilt. */
  addUnique?(table: string, column: string): string;
  dropUnique?(table: string, column: string): string;
  dropIndex(table: string, name: string): string;
  /**
   * Where the database indexes a foreign key itself, naming the index after the key's column (MySQL): the statement
   * that renames that index with its column, so the schema stays the one a fresh table of the new name has.
   */
  renameKeyIndex?(table: string, oldColumn: string, newColumn: string): string;
  /** ALTER TABLE ADD and DROP of a model option's named constraint; absent where the table is rebuilt. */
  addConstraint?(table: string, definition: string): string;
  dropConstraint?(table: string, name: string, kind: "unique" | "check"): string;
  /**
   * Where ALTER cannot make the change: the table made anew. `create` makes the new table under `temporary`;
   * rows are copied into `columns` (the new table's) from `expressions` (over the old one's columns).
   */
  rebuildTable?(table: string, temporary: string, create: string, columns: readonly string[], expressions: readonly string[], indexes: readonly string[]): string[];
}

/** bulkCreate's onConflict as columns: update `update` of the row that clashes on `target`; with no `update`, skip the row. */
export interface Conflict {
  /** The unique columns that clash; empty for any. */
  readonly target: readonly string[];
  readonly update: readonly string[];
  /** The primary key's column. */
  readonly key: string;
}

export type IsolationLevel = "read uncommitted" | "read committed" | "repeatable read" | "serializable";

export type MatchPosition = "whole" | "start" | "end" | "anywhere";

/** The driver's error code under one of quarry's errors (its `cause`), or of the error itself. */
export function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const code = (cause as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/** `!` rather than `\\` as LIKE's escape: a backslash means different things in MySQL's string literals. */
const LIKE_ESCAPE = "!";
const likeEscapeClause = raw(` ESCAPE '${LIKE_ESCAPE}'`);

/** A LIKE pattern that matches `value` literally at `position`. */
export function likePattern(value: string, position: MatchPosition): string {
  const literal = value.replace(/[!%_]/g, (char) => LIKE_ESCAPE + char);
  const head = position === "end" || position === "anywhere" ? "%" : "";
  const tail = position === "start" || position === "anywhere" ? "%" : "";
  return head + literal + tail;
}

/** The match the databases whose LIKE follows the column's collation share (PostgreSQL, MySQL with binary collations). */
export function likeMatch(dialect: Dialect, expression: Sql, value: string, position: MatchPosition, caseInsensitive: boolean): Sql {
  const pattern = likePattern(value, position);
  return caseInsensitive
    ? sql`${dialect.lower(expression)} LIKE ${dialect.lower(sql`${pattern}`)}${likeEscapeClause}`
    : sql`${expression} LIKE ${pattern}${likeEscapeClause}`;
}

/** For kinds the drivers already hand over as their JS values: rows keep them as read (see keepRaw). */
export const unchanged: Codec = { encode: (value) => value, decode: (value) => value };

/**
 * Numbers as read, null too; the text of a BIGINT or DECIMAL column that an Integer or Float field maps onto, parsed.
 * Rows are decoded by decodeValue, which recognises it and tests the value inline rather than call it.
 */
export function readNumber(value: unknown): unknown {
  return typeof value === "number" || value === null ? value : Number(value);
}

/** The codecs every database shares; a dialect overrides the kinds it stores differently. */
export const commonCodecs: Record<ColumnKind, Codec> = {
  integer: { encode: (value) => value, decode: readNumber, read: () => readNumber },
  bigint: { encode: (value) => value, decode: (value) => (typeof value === "bigint" ? value : BigInt(value as string)) },
  float: { encode: (value) => value, decode: readNumber, read: () => readNumber },
  decimal: {
    encode: (value) => value,
    decode: (value, field) => (field as DecimalField).normalize(value),
    read: (field) => (value) => (value === null ? null : (field as DecimalField).normalize(value)),
  },
  boolean: unchanged,
  string: unchanged,
  text: unchanged,
  date: unchanged,
  time: { encode: (value) => value, decode: (value) => String(value).slice(0, 8) },
  datetime: {
    encode: (value) => (value as Date).toISOString(),
    decode: (value) => (value instanceof Date ? value : parseTimestamp(String(value))),
  },
  json: {
    encode: (value) => JSON.stringify(value),
    decode: (value) => (typeof value === "string" ? JSON.parse(value) : value),
  },
  uuid: unchanged,
};

export const numericBoolean: Codec = {
  encode: (value) => (value ? 1 : 0),
  decode: (value) => value === 1 || value === 1n || value === "1" || value === true,
};

/** `NUMERIC(p, s)`-style type of a Decimal field, under this database's name for it. */
export function decimalType(name: string): (field: Field) => string {
  return (field) => `${name}(${(field as DecimalField).options.maxDigits}, ${(field as DecimalField).options.decimalPlaces})`;
}

/** VARCHAR(n) of a String field (and Email, URL, IPAddress, Enum). */
export function varcharType(field: Field): string {
  return `VARCHAR(${(field as StringField).maxLength})`;
}

/** SQL string literal with single quotes doubled; `backslashes` for MySQL, where `\` escapes too. */
export function quoteString(value: string, backslashes = false): string {
  const escaped = value.replace(/'/g, "''");
  return `'${backslashes ? escaped.replace(/\\/g, "\\\\") : escaped}'`;
}

export function standardLiteral(value: unknown, quote: (text: string) => string): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) return quote(value.toISOString());
  if (typeof value === "string") return quote(value);
  return quote(JSON.stringify(value));
}

export function quoteIdentifier(identifier: string, quoteChar: string): string {
  if (identifier.includes("\u0000")) throw new TypeError("An identifier may not contain NUL");
  return quoteChar + identifier.replaceAll(quoteChar, quoteChar + quoteChar) + quoteChar;
}

/** LIMIT n OFFSET m, where an OFFSET alone needs some LIMIT that means "all" (`noLimit`), or none. */
export function limitOffsetClause(limit: number | undefined, offset: number | undefined, noLimit: string): Sql {
  if (limit === undefined && offset === undefined) return empty;
  const limitClause = limit !== undefined ? ` LIMIT ${limit}` : noLimit ? ` LIMIT ${noLimit}` : "";
  return raw(`${limitClause}${offset !== undefined ? ` OFFSET ${offset}` : ""}`);
}

export function isolationClause(isolation: IsolationLevel | undefined): string {
  return isolation ? `ISOLATION LEVEL ${isolation.toUpperCase()}` : "";
}

/** FOR UPDATE with its options, where the database writes them as PostgreSQL does (`of`: where supported). */
export function forUpdate(lock: { skipLocked: boolean; noWait: boolean; of: readonly string[] }, withOf: boolean): Sql {
  const of = withOf && lock.of.length > 0 ? ` OF ${lock.of.join(", ")}` : "";
  return raw(` FOR UPDATE${of}${lock.skipLocked ? " SKIP LOCKED" : lock.noWait ? " NOWAIT" : ""}`);
}

/**
 * Rows of bound values as one Sql, each `open` its values joined by ", " then `close`, rows apart by `separator`:
 * thousands of rows, where a Sql per row or per value would cost more than running the statement.
 */
export function boundRows(rows: readonly (readonly unknown[])[], open: string, close: string, separator = ""): Sql {
  const strings = [""];
  const values: unknown[] = [];
  for (const [index, row] of rows.entries()) {
    strings[strings.length - 1] += index > 0 ? separator + open : open;
    for (let column = 0; column < row.length; column++) {
      if (column > 0) strings[strings.length - 1] += ", ";
      values.push(row[column]);
      strings.push("");
    }
    strings[strings.length - 1] += close;
  }
  return new Sql(strings, values);
}

/** UPDATE ... FROM as PostgreSQL and SQLite write it: SET names the target's columns unqualified. */
export function updateFromClause(table: string, source: Sql, on: Sql, sets: readonly (readonly [string, Sql])[], condition: Sql | undefined): Sql {
  const assignments = join(sets.map(([column, value]) => sql`${raw(column)} = ${value}`));
  return sql`UPDATE ${raw(table)} SET ${assignments} FROM ${source} WHERE ${on}${condition ? sql` AND ${condition}` : empty}`;
}

/** ON CONFLICT as PostgreSQL and SQLite write it. */
export function onConflictClause(conflict: Conflict, quote: (identifier: string) => string): string {
  const target = conflict.target.length > 0 ? ` (${conflict.target.map(quote).join(", ")})` : "";
  if (conflict.update.length === 0) return ` ON CONFLICT${target} DO NOTHING`;
  return ` ON CONFLICT${target} DO UPDATE SET ${conflict.update.map((column) => `${quote(column)} = EXCLUDED.${quote(column)}`).join(", ")}`;
}
