import sql, { empty, join, raw, type Sql } from "sql-template-tag";
import { createMysqlDriver } from "../drivers/mysql.js";
import type { ColumnKind, Field } from "../model/fields.js";
import { formatUtcTimestamp } from "./timestamps.js";
import {
  causeCode,
  commonCodecs,
  decimalType,
  forUpdate,
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
  boundRows,
} from "./dialect.js";
import type { Row } from "../drivers/driver.js";
import { groupColumns, inSequence, parseTypeName, referentialAction, type CatalogReader, type ColumnTypeSchema, type IndexSchema } from "./catalog.js";

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

const MYSQL_DATE_FUNCTIONS = { year: "YEAR", month: "MONTH", day: "DAYOFMONTH", week_day: "DAYOFWEEK", hour: "HOUR", minute: "MINUTE", date: "DATE" } as const;

const CODECS: Record<ColumnKind, Codec> = {
  ...commonCodecs,
  boolean: numericBoolean,
  datetime: { ...commonCodecs.datetime, encode: (value) => formatUtcTimestamp(value as Date) },
};

/** A column's type; MariaDB's JSON is LONGTEXT with a CHECK (json_valid(col)) named after the column. */
function mysqlColumnType(row: Row, jsonColumns: ReadonlySet<string>): ColumnTypeSchema {
  const declared = String(row.column_type);
  if (/^tinyint\(1\)/i.test(declared)) return { name: "boolean", declared };
  if (jsonColumns.has(String(row.column_name))) return { name: "json", declared };
  return parseTypeName(declared);
}

/** MariaDB prints a missing default as NULL (SQL NULL before 10.2.7, the word since) and string defaults quoted. */
function mysqlDefault(value: unknown): string | null {
  return value === null || value === "NULL" ? null : String(value);
}

/** information_schema, limited to the connection's database. */
const mysqlCatalog: CatalogReader = {
  async readTables(query) {
    const [tables, columns, statistics, foreignKeys, checks] = await inSequence(query, [
      sql`SELECT TABLE_NAME AS table_name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
      sql`
        SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, COLUMN_TYPE AS column_type, IS_NULLABLE AS is_nullable,
          COLUMN_DEFAULT AS column_default, EXTRA AS extra
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
      sql`
        SELECT TABLE_NAME AS table_name, INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS column_name
        FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
      sql`
        SELECT k.TABLE_NAME AS table_name, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS column_name,
          k.REFERENCED_TABLE_NAME AS referenced_table, k.REFERENCED_COLUMN_NAME AS referenced_column, r.DELETE_RULE AS on_delete
        FROM information_schema.KEY_COLUMN_USAGE k
        JOIN information_schema.REFERENTIAL_CONSTRAINTS r
          ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
        WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
        ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
      sql`
        SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS expression
        FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME`,
    ]);
    const columnsOf = groupColumns(columns, (row) => String(row.table_name));
    const indexesOf = groupColumns(statistics, (row) => String(row.table_name));
    const foreignKeysOf = groupColumns(foreignKeys, (row) => String(row.table_name));
    const checksOf = groupColumns(checks, (row) => String(row.table_name));
    return tables.map(({ table_name }) => {
      const table = String(table_name);
      const tableChecks = checksOf.get(table) ?? [];
      const isJsonCheck = (row: Row) => String(row.expression) === `json_valid(${quoteIdentifier(String(row.name), "`")})`;
      const jsonColumns = new Set(tableChecks.filter(isJsonCheck).map((row) => String(row.name)));
      const keys = [...groupColumns(foreignKeysOf.get(table) ?? [], (row) => String(row.name))].map(([name, rows]) => ({
        name,
        columns: rows.map((row) => String(row.column_name)),
        referencedTable: String(rows[0]!.referenced_table),
        referencedColumns: rows.map((row) => String(row.referenced_column)),
        onDelete: referentialAction(rows[0]!.on_delete),
      }));
      const indexes = [...groupColumns(indexesOf.get(table) ?? [], (row) => String(row.name))].map(([name, rows]) => ({
        name,
        columns: rows.map((row) => String(row.column_name)),
        unique: Number(rows[0]!.non_unique) === 0,
      }));
      // InnoDB indexes a foreign key's columns itself when no index starts with them, naming it after the key's first column.
      const madeForKey = (index: IndexSchema) =>
        keys.some(
          (key) =>
            (index.name === key.columns[0] || index.name === key.name) &&
            key.columns.every((column, position) => index.columns[position] === column),
        );
      return {
        name: table,
        columns: (columnsOf.get(table) ?? []).map((row) => ({
          name: String(row.column_name),
          type: mysqlColumnType(row, jsonColumns),
          nullable: row.is_nullable === "YES",
          default: mysqlDefault(row.column_default),
          generated: /auto_increment/i.test(String(row.extra)),
        })),
        primaryKey: indexes.find((index) => index.name === "PRIMARY")?.columns ?? [],
        foreignKeys: keys,
        uniques: indexes.filter((index) => index.unique && index.name !== "PRIMARY").map(({ name, columns }) => ({ name, columns })),
        indexes: indexes.filter((index) => !index.unique && !madeForKey(index)),
        checks: tableChecks.filter((row) => !isJsonCheck(row)).map((row) => ({ name: String(row.name), expression: String(row.expression) })),
      };
    });
  },
};

export const mysqlDialect: Dialect = {
  name: "mysql",
  // A statement past 8 KB of text (as any with thousands of values is) is sent unprepared: mysql2 writes its values
  // into the text, and the packet size (max_allowed_packet) is the only bound.
  maxParameters: Number.POSITIVE_INFINITY,
  // mysql2 writes an array bound to one placeholder out as a list, in the text it sends unprepared.
  inList: (expression, values) => sql`${expression} IN (${values})`,
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
  upper: (expression: Sql) => sql`UPPER(${expression})`,
  length: (expression: Sql) => sql`CHAR_LENGTH(${expression})`,
  // CONCAT is null if any part is; CONCAT_WS skips nulls.
  concat: (parts) => sql`CONCAT_WS('', ${join(parts)})`,
  // DATETIME columns hold UTC: the session's time zone must not shift the current time.
  now: raw("UTC_TIMESTAMP(3)"),
  datePart(part, column) {
    return sql`${raw(MYSQL_DATE_FUNCTIONS[part])}(${column})`;
  },
  // MariaDB has no FOR UPDATE OF: the rows of every table read are locked.
  lockRows: (lock) => forUpdate(lock, false),
  locksOuterJoins: true,
  nullsOrdering: false,
  distinctOn: false,
  // Any unique key clashes here (MySQL names none). To skip a row, its key is set to itself: INSERT IGNORE would
  // also turn other errors (a value too long, a null) into warnings.
  onConflict(conflict, quote) {
    const columns = conflict.update.length > 0 ? conflict.update : [conflict.key];
    return ` ON DUPLICATE KEY UPDATE ${columns.map((column) => `${quote(column)} = ${conflict.update.length > 0 ? `VALUES(${quote(column)})` : quote(column)}`).join(", ")}`;
  },
  typedValue: (value) => value,
  // MySQL has no RETURNING on INSERT: the driver's insertId gives the generated key.
  returning: () => empty,
  limitOffset: (limit, offset) => limitOffsetClause(limit, offset, "18446744073709551615"),
  afterExplicitKeys: () => undefined,
  generatedKeyStep: sql`SELECT @@auto_increment_increment`,
  // Not INSERT IGNORE, which would also turn a missing foreign key or a NULL into a warning and a skipped row.
  ignoreDuplicates: (column) => ` ON DUPLICATE KEY UPDATE ${quoteIdentifier(column, "`")} = ${quoteIdentifier(column, "`")}`,
  maxBoundValues: 65_535,
  insertDefaultValues: "() VALUES ()",
  // One bound value for all the rows, never prepared (see the driver): no text of thousands of placeholders to
  // build, for mysql2 to scan and the server to parse, and no limit on parameters per statement.
  manyRows: (_fields, rows) => sql`VALUES ${rows}`,
  // A binary, no-pad collation makes `=` and LIKE case- and space-sensitive, as on PostgreSQL and SQLite.
  indexesForeignKeys: true,
  tableOptions: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin",
  // MySQL refuses a subquery on the table it updates unless it is materialised as a derived table.
  selfSubquery: (select) => sql`SELECT * FROM (${select}) AS ${raw("`_quarry_subquery`")}`,
  // A VALUES list names its columns after the first row's values on MariaDB: a UNION of SELECTs names them.
  valuesTable: (alias, columns, _fields, [first, ...rest]) => {
    const named = join(first!.map((value, column) => sql`${value} AS ${raw(columns[column]!)}`));
    return sql`(SELECT ${named}${boundRows(rest, " UNION ALL SELECT ", "")}) AS ${raw(alias)}`;
  },
  updateFrom: (table, source, on, sets, condition) =>
    sql`UPDATE ${raw(table)} INNER JOIN ${source} ON ${on} SET ${join(sets.map(([column, value]) => sql`${raw(`${table}.${column}`)} = ${value}`))}${condition ? sql` WHERE ${condition}` : empty}`,
  begin: (isolation) =>
    isolation ? [`SET TRANSACTION ${isolationClause(isolation)}`, "START TRANSACTION"] : ["START TRANSACTION"],
  arithmeticRefusal: () => undefined,
  // AVG of an integer or decimal is a DECIMAL with only div_precision_increment (4) more digits here.
  explainPrefix: "EXPLAIN FORMAT=JSON ",
  // One row, one column: the plan as a JSON document.
  planText: (rows) => rows.map((row) => String(Object.values(row)[0])).join("\n"),
  average: (column, distinct) => sql`AVG(${raw(distinct ? "DISTINCT " : "")}CAST(${column} AS DOUBLE))`,
  // DDL commits itself here: a database of its own, dropped afterwards, on the one connection that USEs it.
  client: (url) => ({
    command: "mariadb",
    args: ["-h", url.host, ...(url.port ? ["-P", String(url.port)] : []), ...(url.user ? ["-u", url.user] : []), url.database],
    env: Object.fromEntries(url.password ? [["MYSQL_PWD", url.password]] : []),
  }),
  scratch: {
    rollback: false,
    enter: (name) => [`CREATE DATABASE ${quoteIdentifier(name, "`")} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`, `USE ${quoteIdentifier(name, "`")}`],
    leave: (name) => [`DROP DATABASE IF EXISTS ${quoteIdentifier(name, "`")}`],
  },
  catalog: mysqlCatalog,
  serverRole: {
    statement: sql`SELECT @@global.read_only AS read_only`,
    writable: (rows) => Number(rows[0]?.read_only) === 0,
    // A write on a read_only server; a Galera node outside the cluster's primary component ("WSREP has not yet prepared node").
    outOfService: (error) => causeCode(error) === "ER_OPTION_PREVENTS_STATEMENT" || causeCode(error) === "ER_UNKNOWN_COM_ERROR",
  },
  replicaLag: {
    // No row: not a replica. A null: its SQL thread is stopped, so it falls further behind with every write.
    statement: sql`SHOW SLAVE STATUS`,
    lagMs: (rows) => {
      const seconds = rows[0]?.Seconds_Behind_Master;
      return seconds === null || seconds === undefined ? undefined : Number(seconds) * 1000;
    },
  },
  migrations: {
    // Every DDL statement commits by itself here: migrations record their progress operation by operation.
    transactionalDdl: false,
    // GET_LOCK belongs to the session, not the transaction (which DDL commits): released by hand, or when the connection ends.
    lock: {
      acquire: "SELECT GET_LOCK(CONCAT('quarry.migrate:', DATABASE()), 3600)",
      release: "SELECT RELEASE_LOCK(CONCAT('quarry.migrate:', DATABASE()))",
    },
    session: { before: [], after: [] },
    alterColumn: (table, from, to) => (from.definition === to.definition ? [] : [`ALTER TABLE ${quote(table)} MODIFY COLUMN ${to.definition}`]),
    addColumn: (table, definition, _field, foreignKey) => [`ALTER TABLE ${quote(table)} ADD COLUMN ${definition}${foreignKey ? `, ADD ${foreignKey}` : ""}`],
    // InnoDB names a key it was not given a name for (<table>_ibfk_<n>): the name is read from the catalog.
    foreignKeyBeforeColumn: {
      lookup: (table, column) =>
        `SELECT CONSTRAINT_NAME AS name FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() ` +
        `AND TABLE_NAME = ${quoteString(table, true)} AND COLUMN_NAME = ${quoteString(column, true)} AND REFERENCED_TABLE_NAME IS NOT NULL`,
      drop: (table, name) => `ALTER TABLE ${quote(table)} DROP FOREIGN KEY ${quote(name)}`,
    },
    dropColumn: (table, column) => [`ALTER TABLE ${quote(table)} DROP COLUMN ${quote(column)}`],
    // An inline UNIQUE makes an index named after its column.
    addUnique: (table, column) => `ALTER TABLE ${quote(table)} ADD UNIQUE KEY ${quote(column)} (${quote(column)})`,
    dropUnique: (table, column) => `ALTER TABLE ${quote(table)} DROP INDEX ${quote(column)}`,
    dropIndex: (table, name) => `DROP INDEX ${quote(name)} ON ${quote(table)}`,
    renameKeyIndex: (table, oldColumn, newColumn) => `ALTER TABLE ${quote(table)} RENAME INDEX ${quote(oldColumn)} TO ${quote(newColumn)}`,
    addConstraint: (table, definition) => `ALTER TABLE ${quote(table)} ADD ${definition}`,
    dropConstraint: (table, name, kind) => `ALTER TABLE ${quote(table)} DROP ${kind === "unique" ? "INDEX" : "CONSTRAINT"} ${quote(name)}`,
  },
};

function quote(identifier: string): string {
  return quoteIdentifier(identifier, "`");
}
