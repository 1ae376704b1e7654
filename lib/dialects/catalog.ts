import type { Sql } from "sql-template-tag";
import type { Row } from "../drivers/driver.js";

/**
 * A database's tables as its catalog states them, in one shape for every database: what introspection
 * (lib/schema) reads, compares and turns into models. Each dialect fills it from its own catalog.
 */
export interface TableSchema {
  readonly name: string;
  /** In the table's column order. */
  readonly columns: readonly ColumnSchema[];
  /** The primary key's columns in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  readonly foreignKeys: readonly ForeignKeySchema[];
  /** UNIQUE constraints other than the primary key (on MySQL, every unique index: it has no other kind). */
  readonly uniques: readonly UniqueSchema[];
  /** Indexes made by CREATE INDEX, not those the database made for a key or a constraint. */
  readonly indexes: readonly IndexSchema[];
  /** CHECK constraints, as the database prints them. */
  readonly checks: readonly CheckSchema[];
}

export interface ColumnSchema {
  readonly name: string;
  readonly type: ColumnTypeSchema;
  readonly nullable: boolean;
  /** The DEFAULT expression as the database prints it, or null; never a key generator's. */
  readonly default: string | null;
  /** The database generates the value (identity, serial, AUTO_INCREMENT, SQLite's INTEGER PRIMARY KEY). */
  readonly generated: boolean;
}

/**
 * A column type: `name` is one of a small common vocabulary (TypeName) whatever the database calls it,
 * `declared` the database's own text, kept for messages and for types outside the vocabulary ("other").
 */
export interface ColumnTypeSchema {
  readonly name: TypeName;
  readonly declared: string;
  /** Characters, for char and varchar. */
  readonly length?: number;
  /** Digits, for numeric; fractional-second digits, for time and timestamps. */
  readonly precision?: number;
  readonly scale?: number;
}

export type TypeName =
  | "smallint"
  | "integer"
  | "bigint"
  | "real"
  | "double"
  | "numeric"
  | "boolean"
  | "char"
  | "varchar"
  | "text"
  | "date"
  | "time"
  | "timestamp"
  | "timestamptz"
  | "json"
  | "uuid"
  | "blob"
  | "other";

export type ReferentialAction = "CASCADE" | "SET NULL" | "SET DEFAULT" | "RESTRICT" | "NO ACTION";

export interface ForeignKeySchema {
  readonly name: string;
  readonly columns: readonly string[];
  readonly referencedTable: string;
  readonly referencedColumns: readonly string[];
  readonly onDelete: ReferentialAction;
}

export interface UniqueSchema {
  readonly name: string;
  readonly columns: readonly string[];
}

export interface IndexSchema {
  readonly name: string;
  /** Column names; an expression's text where the index is on an expression. */
  readonly columns: readonly string[];
  readonly unique: boolean;
  /** A partial index's WHERE. */
  readonly where?: string;
}

export interface CheckSchema {
  readonly name: string;
  readonly expression: string;
}

/** What a dialect's catalog reader runs its queries with: rows as objects keyed by column. */
export type CatalogQuery = (statement: Sql) => Promise<Row[]>;

/** Runs catalog queries one after another: inside a transaction they share one connection, which takes one at a time. */
export async function inSequence(query: CatalogQuery, statements: readonly Sql[]): Promise<Row[][]> {
  const results: Row[][] = [];
  for (const statement of statements) results.push(await query(statement));
  return results;
}

/** Reads the tables of the connection's own schema (PostgreSQL) or database, all of them or those named. */
export interface CatalogReader {
  readTables(query: CatalogQuery): Promise<TableSchema[]>;
}

const TYPE_NAMES: ReadonlyArray<readonly [RegExp, TypeName]> = [
  [/^(smallint|int2|tinyint|smallserial)$/, "smallint"],
  [/^(integer|int|int4|serial|mediumint)$/, "integer"],
  [/^(bigint|int8|bigserial)$/, "bigint"],
  [/^(real|float4|float)$/, "real"],
  [/^(double precision|double|float8)$/, "double"],
  [/^(numeric|decimal)$/, "numeric"],
  [/^(boolean|bool)$/, "boolean"],
  [/^(character|char|nchar|native character|bpchar)$/, "char"],
  [/^(character varying|varchar|nvarchar|varying character|national varchar)$/, "varchar"],
  [/^(text|tinytext|mediumtext|longtext|clob)$/, "text"],
  [/^date$/, "date"],
  [/^(time|time without time zone)$/, "time"],
  [/^(timestamp|timestamp without time zone|datetime)$/, "timestamp"],
  [/^(timestamp with time zone|timestamptz)$/, "timestamptz"],
  [/^(json|jsonb)$/, "json"],
  [/^uuid$/, "uuid"],
  [/^(blob|bytea|binary|varbinary|tinyblob|mediumblob|longblob)$/, "blob"],
];

/**
 * A declared type such as "character varying(120)", "NUMERIC(10,2)", "timestamp(3) with time zone" or
 * "int(11) unsigned" in the common vocabulary. The databases print the arguments in the middle of the name
 * sometimes, so they are taken out first.
 */
export function parseTypeName(declared: string): ColumnTypeSchema {
  const text = declared.trim().toLowerCase().replace(/\s+/g, " ");
  const args = /\(([^)]*)\)/.exec(text)?.[1]?.split(",").map((part) => Number(part.trim())) ?? [];
  const bare = text.replace(/\([^)]*\)/, "").replace(/\b(unsigned|zerofill)\b/g, "").replace(/\s+/g, " ").trim();
  const name = TYPE_NAMES.find(([pattern]) => pattern.test(bare))?.[1] ?? "other";
  const [first, second] = args.map((value) => (Number.isFinite(value) ? value : undefined));
  const type: { -readonly [K in keyof ColumnTypeSchema]: ColumnTypeSchema[K] } = { name, declared };
  if ((name === "char" || name === "varchar") && first !== undefined) type.length = first;
  if (name === "numeric" && first !== undefined) {
    type.precision = first;
    type.scale = second ?? 0;
  }
  if ((name === "time" || name === "timestamp" || name === "timestamptz") && first !== undefined) type.precision = first;
  return type;
}

/** Rows of (table, position, column) grouped into each table's and constraint's column lists, in order. */
export function groupColumns<T extends Row>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** A referential action as every database spells it ("NO ACTION", "SET NULL", ...). */
export function referentialAction(text: unknown): ReferentialAction {
  const action = String(text ?? "NO ACTION").toUpperCase().replace(/_/g, " ");
  return (["CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT"].includes(action) ? action : "NO ACTION") as ReferentialAction;
}
