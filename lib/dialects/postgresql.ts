import sql, { join, raw, type Sql } from "sql-template-tag";
import { createPostgresqlDriver } from "../drivers/postgresql.js";
import type { ColumnKind, Field } from "../model/fields.js";
import {
  causeCode,
  commonCodecs,
  decimalType,
  forUpdate,
  isolationClause,
  onConflictClause,
  likeMatch,
  limitOffsetClause,
  quoteIdentifier,
  quoteString,
  standardLiteral,
  varcharType,
  type Codec,
  type Dialect,
  updateFromClause,
} from "./dialect.js";
import { groupColumns, inSequence, parseTypeName, type CatalogReader, type ReferentialAction } from "./catalog.js";

const COLUMN_TYPES: Record<ColumnKind, (field: Field) => string> = {
  integer: () => "INTEGER",
  bigint: () => "BIGINT",
  float: () => "DOUBLE PRECISION",
  decimal: decimalType("NUMERIC"),
  boolean: () => "BOOLEAN",
  string: varcharType,
  text: () => "TEXT",
  date: () => "DATE",
  time: () => "TIME(0)",
  datetime: () => "TIMESTAMP(3) WITH TIME ZONE",
  json: () => "JSONB",
  uuid: () => "UUID",
};

/**
 * The array each kind's values travel in to unnest: the base types, so that the INSERT's assignment to the
 * column checks lengths and precision as a VALUES list would (an explicit cast to VARCHAR(n) would truncate).
 */
const ARRAY_TYPES: Record<ColumnKind, string> = {
  integer: "INTEGER[]",
  bigint: "BIGINT[]",
  float: "DOUBLE PRECISION[]",
  decimal: "NUMERIC[]",
  boolean: "BOOLEAN[]",
  string: "TEXT[]",
  text: "TEXT[]",
  date: "DATE[]",
  time: "TIME[]",
  datetime: "TIMESTAMPTZ[]",
  json: "JSONB[]",
  uuid: "UUID[]",
};

const ARRAY_ESCAPED = /["\\]/;
const ARRAY_ESCAPES = /["\\]/g;

/**
 * Column `index` of encoded rows (numbers, bigints, booleans, strings, null: what CODECS give) as an array literal,
 * `{1,NULL,"say \\"hi\\""}`, in one pass. pg writes the arrays it is given itself, with two regular expressions
 * and a conversion per element: a third of the client's CPU in a 10,000-row bulkCreate.
 */
function arrayLiteral(rows: readonly (readonly unknown[])[], index: number): string {
  let literal = "{";
  for (let row = 0; row < rows.length; row++) {
    if (row > 0) literal += ",";
    const value = rows[row]![index];
    if (value === null || value === undefined) literal += "NULL";
    // Quoted, text stays text whatever it holds ("NULL", spaces at either end, braces, commas).
    else if (typeof value === "string") literal += `"${ARRAY_ESCAPED.test(value) ? value.replace(ARRAY_ESCAPES, "\\$&") : value}"`;
    else literal += String(value);
  }
  return `${literal}}`;
}

/** `unnest(array, array, ...)` of the rows' columns, one array parameter each: rows of any number for a few parameters. */
function unnestColumns(fields: readonly Field[], rows: readonly (readonly unknown[])[]): Sql {
  return sql`unnest(${join(fields.map((field, index) => sql`${arrayLiteral(rows, index)}::${raw(ARRAY_TYPES[field.kind])}`))})`;
}

const CODECS: Record<ColumnKind, Codec> = {
  ...commonCodecs,
  boolean: { encode: (value) => value, decode: (value) => value === true || value === "t" },
};

const PG_ACTIONS: Record<string, ReferentialAction> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };

/** pg_catalog, limited to the connection's schema (current_schema(), which `?schema=` sets through search_path). */
const postgresqlCatalog: CatalogReader = {
  async readTables(query) {
    const [columns, constraints, indexes] = await inSequence(query, [
      sql`
        SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type,
          a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS column_default, a.attidentity <> '' AS is_identity
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
        ORDER BY c.relname, a.attnum`,
      sql`
        SELECT t.relname AS table_name, c.conname AS name, c.contype AS kind, a.attname AS column_name,
          rt.relname AS referenced_table, ra.attname AS referenced_column, c.confdeltype AS on_delete,
          pg_get_constraintdef(c.oid, true) AS definition
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        LEFT JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position) ON true
        LEFT JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        LEFT JOIN pg_class rt ON rt.oid = c.confrelid
        LEFT JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[k.position]
        WHERE n.nspname = current_schema() AND c.contype IN ('p', 'f', 'u', 'c')
        ORDER BY t.relname, c.conname, k.position`,
      // Indexes that back a primary key or UNIQUE constraint are the constraint's, not CREATE INDEX's.
      sql`
        SELECT t.relname AS table_name, i.relname AS name, ix.indisunique AS is_unique,
          CASE WHEN k.attnum = 0 THEN pg_get_indexdef(ix.indexrelid, k.position::int, true) ELSE a.attname END AS column_name,
          pg_get_expr(ix.indpred, ix.indrelid, true) AS predicate
        FROM pg_index ix
        JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, position)
        LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE n.nspname = current_schema() AND k.position <= ix.indnkeyatts
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u', 'x'))
        ORDER BY t.relname, i.relname, k.position`,
    ]);
    const constraintsOf = groupColumns(constraints, (row) => String(row.table_name));
    const indexesOf = groupColumns(indexes, (row) => String(row.table_name));
    return [...groupColumns(columns, (row) => String(row.table_name))].map(([table, tableColumns]) => {
      const byName = [...groupColumns(constraintsOf.get(table) ?? [], (row) => String(row.name))];
      const ofKind = (kind: string) => byName.filter(([, rows]) => rows[0]!.kind === kind);
      return {
        name: table,
        columns: tableColumns.map((row) => {
          const fallback = row.column_default === null ? null : String(row.column_default);
          const sequence = fallback !== null && /^nextval\(/i.test(fallback);
          return {
            name: String(row.column_name),
            type: parseTypeName(String(row.type)),
            nullable: row.not_null !== true,
            default: sequence || fallback === null || /^NULL(::.*)?$/i.test(fallback) ? null : fallback,
            generated: row.is_identity === true || sequence,
          };
        }),
        primaryKey: ofKind("p").flatMap(([, rows]) => rows.map((row) => String(row.column_name))),
        foreignKeys: ofKind("f").map(([name, rows]) => ({
          name,
          columns: rows.map((row) => String(row.column_name)),
          referencedTable: String(rows[0]!.referenced_table),
          referencedColumns: rows.map((row) => String(row.referenced_column)),
          onDelete: PG_ACTIONS[String(rows[0]!.on_delete)] ?? "NO ACTION",
        })),
        uniques: ofKind("u").map(([name, rows]) => ({ name, columns: rows.map((row) => String(row.column_name)) })),
        indexes: [...groupColumns(indexesOf.get(table) ?? [], (row) => String(row.name))].map(([name, rows]) => ({
          name,
          columns: rows.map((row) => String(row.column_name)),
          unique: rows[0]!.is_unique === true,
          ...(rows[0]!.predicate !== null ? { where: String(rows[0]!.predicate) } : {}),
        })),
        checks: ofKind("c").map(([name, rows]) => ({ name, expression: String(rows[0]!.definition).replace(/^CHECK\s*/i, "") })),
      };
    });
  },
};

export const postgresqlDialect: Dialect = {
  name: "postgresql",
  // The protocol's Bind message counts parameters in 16 bits.
  maxParameters: 65_535,
  // pg sends a JS array as one array literal; the column's type gives the parameter's.
  inList: (expression, values) => sql`${expression} = ANY(${values})`,
  createDriver: createPostgresqlDriver,
  quote: (identifier) => quoteIdentifier(identifier, '"'),
  text: (statement) => statement.text,
  columnType: (field) => COLUMN_TYPES[field.kind](field),
  autoPrimaryKey: (field) => `${field.kind === "bigint" ? "BIGINT" : "INTEGER"} GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`,
  codec: (kind) => CODECS[kind],
  literal: (value) => standardLiteral(value, (text) => quoteString(text)),
  textMatch(expression, value, position, caseInsensitive) {
    return likeMatch(this, expression, value, position, caseInsensitive);
  },
  lower: (expression: Sql) => sql`LOWER(${expression})`,
  upper: (expression: Sql) => sql`UPPER(${expression})`,
  length: (expression: Sql) => sql`CHAR_LENGTH(${expression})`,
  // Each part as text: a bound value alone would leave CONCAT unable to tell its type.
  concat: (parts) => sql`CONCAT(${join(parts.map((part) => sql`CAST(${part} AS TEXT)`))})`,
  now: raw("CURRENT_TIMESTAMP"),
  datePart(part, column, kind) {
    const utc = kind === "datetime" ? sql`(${column} AT TIME ZONE 'UTC')` : column;
    if (part === "date") return sql`CAST(${utc} AS DATE)`;
    if (part === "week_day") return sql`CAST(EXTRACT(DOW FROM ${utc}) + 1 AS INTEGER)`;
    return sql`CAST(EXTRACT(${raw(part.toUpperCase())} FROM ${utc}) AS INTEGER)`;
  },
  lockRows: (lock) => forUpdate(lock, true),
  locksOuterJoins: false,
  nullsOrdering: true,
  distinctOn: true,
  onConflict: onConflictClause,
  typedValue: (value, field) => sql`CAST(${value} AS ${raw(COLUMN_TYPES[field.typeSource.kind](field.typeSource))})`,
  returning: (columns) => sql` RETURNING ${columns}`,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, ""),
  afterExplicitKeys(table, column) {
    const sequence = sql`pg_get_serial_sequence(${quoteIdentifier(table, '"')}, ${column})`;
    const key = raw(quoteIdentifier(column, '"'));
    return sql`SELECT setval(${sequence}, GREATEST(COALESCE(MAX(${key}), 0), nextval(${sequence}) - 1, 1)) FROM ${raw(quoteIdentifier(table, '"'))}`;
  },
  ignoreDuplicates: () => " ON CONFLICT DO NOTHING",
  maxBoundValues: 65_535,
  insertDefaultValues: "DEFAULT VALUES",
  manyRows: (fields, rows) => sql`SELECT * FROM ${unnestColumns(fields, rows)}`,
  indexesForeignKeys: false,
  tableOptions: "",
  selfSubquery: (select) => select,
  valuesTable: (alias, columns, fields, rows) => sql`${unnestColumns(fields, rows)} AS ${raw(`${alias}(${columns.join(", ")})`)}`,
  updateFrom: updateFromClause,
  begin: (isolation) => [`BEGIN ${isolationClause(isolation)}`.trim()],
  arithmeticRefusal: () => undefined,
  explainPrefix: "EXPLAIN ",
  planText: (rows) => rows.map((row) => String(row["QUERY PLAN"])).join("\n"),
  average: (column, distinct) => sql`AVG(${raw(distinct ? "DISTINCT " : "")}${column})`,
  client: (url) => ({
    command: "psql",
    args: ["-h", url.host, ...(url.port ? ["-p", String(url.port)] : []), ...(url.user ? ["-U", url.user] : []), "-d", url.database],
    env: { ...(url.password ? { PGPASSWORD: url.password } : {}), ...(url.params.schema ? { PGOPTIONS: `-c search_path=${url.params.schema}` } : {}) },
  }),
  scratch: {
    rollback: true,
    enter: (name) => [`CREATE SCHEMA ${quoteIdentifier(name, '"')}`, `SET LOCAL search_path TO ${quoteIdentifier(name, '"')}`],
    leave: () => [],
  },
  catalog: postgresqlCatalog,
  serverRole: {
    statement: sql`SELECT pg_is_in_recovery() AS standby`,
    writable: (rows) => rows[0]?.standby === false,
    // read_only_sql_transaction: a write sent to a standby.
    outOfService: (error) => causeCode(error) === "25006",
  },
  replicaLag: {
    // Caught up when everything received is replayed (the last replayed commit may be old on a quiet primary);
    // otherwise the age of the last commit replayed.
    statement: sql`SELECT pg_is_in_recovery() AS standby, CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000 END AS lag_ms`,
    lagMs: (rows) => (rows[0]?.standby === true && rows[0].lag_ms !== null ? Number(rows[0].lag_ms) : undefined),
  },
  migrations: {
    transactionalDdl: true,
    // A transaction-scoped advisory lock, one per schema: released by the COMMIT or ROLLBACK that ends the run.
    lock: { acquire: "SELECT pg_advisory_xact_lock(hashtext('quarry.migrate:' || current_schema()))" },
    session: { before: [], after: [] },
    alterColumn(table, from, to) {
      const head = `ALTER TABLE ${quote(table)} ALTER COLUMN ${quote(to.column)}`;
      const statements: string[] = [];
      if (from.type !== to.type) statements.push(`${head} TYPE ${to.type} USING ${quote(to.column)}::${to.type}`);
      if (from.nullable !== to.nullable) statements.push(`${head} ${to.nullable ? "DROP" : "SET"} NOT NULL`);
      if (from.default !== to.default) statements.push(to.default === undefined ? `${head} DROP DEFAULT` : `${head} SET DEFAULT ${to.default}`);
      return statements;
    },
    addColumn: (table, definition, _field, foreignKey) => [`ALTER TABLE ${quote(table)} ADD COLUMN ${definition}${foreignKey ? `, ADD ${foreignKey}` : ""}`],
    dropColumn: (table, column) => [`ALTER TABLE ${quote(table)} DROP COLUMN ${quote(column)}`],
    // The name PostgreSQL gives an inline UNIQUE: <table>_<column>_key.
    addUnique: (table, column) => `ALTER TABLE ${quote(table)} ADD CONSTRAINT ${quote(`${table}_${column}_key`)} UNIQUE (${quote(column)})`,
    dropUnique: (table, column) => `ALTER TABLE ${quote(table)} DROP CONSTRAINT ${quote(`${table}_${column}_key`)}`,
    dropIndex: (_table, name) => `DROP INDEX IF EXISTS ${quote(name)}`,
    addConstraint: (table, definition) => `ALTER TABLE ${quote(table)} ADD ${definition}`,
    dropConstraint: (table, name) => `ALTER TABLE ${quote(table)} DROP CONSTRAINT ${quote(name)}`,
  },
};

function quote(identifier: string): string {
  return quoteIdentifier(identifier, '"');
}

