import sql, { raw, Sql, type RawValue } from "sql-template-tag";
import type { Dialect } from "../dialects/dialect.js";
import type { CompiledQuery, QueryResult } from "../drivers/driver.js";
import { IntegrityError, NoMatch } from "../errors.js";
import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import { QueryCompiler, boundValue, emptyState, patchState, type QueryState } from "./compiler.js";
import { findLookup } from "./lookups.js";

/** Largest number of bound values one statement may carry on every database (SQLite allows 32766). */
const MAX_PARAMETERS = 30_000;
/** Rows per INSERT where they travel as arrays, one per column: bounds the size of one statement's message. */
const ROWS_PER_ARRAY_INSERT = 50_000;

/**
 * Inserts validated rows, each as an instance's slots (see validateSlots), and writes the key each row got into
 * its primary key's slot. Several statements run in one transaction.
 */
export async function insertRows(meta: ModelMeta, rows: readonly unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const database = meta.database;
  const dialect = database.dialect;
  const pk = meta.pk;
  // Rows that set the key themselves and rows that leave it to the database go in separate statements.
  const groups = new Map<string, InsertGroup>();
  let previous: InsertGroup | undefined;
  rows.forEach((row, index) => {
    // Rows of one call mostly give the same fields: the previous row's group is tried before a key is built.
    if (!previous || !givesExactly(previous.fields, meta.columns, row)) {
      const fields = meta.columns.filter((field) => row[field.slot] !== undefined);
      const key = fields.map((field) => field.name).join(",");
      previous = groups.get(key);
      if (!previous) groups.set(key, (previous = { fields, indexes: [] }));
    }
    previous.indexes.push(index);
  });
  const run = async () => {
    for (const { fields, indexes } of groups.values()) {
      const generatesKey = !fields.includes(pk);
      const chunkSize = rowsPerStatement(dialect, fields);
      for (let start = 0; start < indexes.length; start += chunkSize) {
        const chunk = indexes.slice(start, start + chunkSize);
        const chunkRows = chunk.map((index) => rows[index]!);
        const query = chunkRows.length === 1 ? insertOneQuery(meta, dialect, fields, chunkRows, generatesKey) : insertManyQuery(meta, dialect, fields, chunkRows, generatesKey);
        const result = await withModel(meta, database.runCompiled(query, { arrayRows: true }));
        if (generatesKey) chunk.forEach((rowIndex, position) => (rows[rowIndex]![pk.slot] = generatedKey(meta, result, position)));
      }
      if (!generatesKey) await resyncKeys(meta);
    }
  };
  const [first] = groups.values();
  if (groups.size === 1 && rows.length <= rowsPerStatement(dialect, first!.fields)) await run();
  else await database.transaction(run);
}

function rowsPerStatement(dialect: Dialect, fields: readonly Field[]): number {
  // A row of nothing but defaults has no VALUES list to share, so it goes alone.
  if (fields.length === 0) return 1;
  if (dialect.rowsFromArrays) return ROWS_PER_ARRAY_INSERT;
  return dialect.insertsRowByRow ? Infinity : Math.floor(MAX_PARAMETERS / fields.length);
}

interface InsertGroup {
  /** The columns these rows give a value for, in declaration order. */
  readonly fields: readonly Field[];
  readonly indexes: number[];
}

function givesExactly(fields: readonly Field[], columns: readonly Field[], row: readonly unknown[]): boolean {
  let given = 0;
  for (const column of columns) {
    if (row[column.slot] === undefined) continue;
    if (fields[given] !== column) return false;
    given++;
  }
  return given === fields.length;
}

/** One validated row's slots (create(), save()): one INSERT, without insertRows' grouping; returns its primary key. */
export async function insertRow(meta: ModelMeta, slots: readonly unknown[]): Promise<unknown> {
  const fields = meta.columns.filter((field) => slots[field.slot] !== undefined);
  const generatesKey = !fields.includes(meta.pk);
  const query = insertOneQuery(meta, meta.database.dialect, fields, [slots], generatesKey);
  const result = await withModel(meta, meta.database.runCompiled(query, { arrayRows: true }));
  if (generatesKey) return generatedKey(meta, result, 0);
  await resyncKeys(meta);
  return slots[meta.pk.slot];
}

/** The key the database gave the `position`th row of an INSERT: from RETURNING, or else from the first insert id. */
function generatedKey(meta: ModelMeta, result: QueryResult, position: number): unknown {
  // Without RETURNING (MySQL) a multi-row INSERT reports its first id; InnoDB gives the rest consecutively.
  const value = result.rows.length > 0 ? (result.rows[position] as unknown[])[0] : Number(result.insertId) + position;
  return meta.database.dialect.codec(meta.pk.kind).decode(value, meta.pk);
}

/** After rows that set a generated key themselves, the sequence moves past them where the dialect needs telling. */
async function resyncKeys(meta: ModelMeta): Promise<void> {
  const resync = meta.pk.generated && meta.database.dialect.afterExplicitKeys(meta.tablename, meta.pk.column);
  if (resync) await meta.database.run(resync);
}

/** Sets of given fields kept per model (a program inserts few; past it, texts are built every time). */
const MAX_ONE_ROW_TEXTS = 500;
/** By model, by which fields are given and whether the key comes back: the text of a one-row INSERT. */
const oneRowTexts = new WeakMap<ModelMeta, Map<string, string>>();

/**
 * A one-row INSERT (create(), save()), or on a dialect that inserts row by row, the same text run for each of
 * `rows`: its text depends only on the fields given (and on RETURNING), so it is built once per set of fields.
 */
function insertOneQuery(meta: ModelMeta, dialect: Dialect, fields: readonly Field[], rows: readonly (readonly unknown[])[], returning: boolean): CompiledQuery {
  let byFields = oneRowTexts.get(meta);
  if (!byFields) oneRowTexts.set(meta, (byFields = new Map()));
  let key = returning ? "+" : "-";
  for (const field of fields) key += `${field.name},`;
  let text = byFields.get(key);
  if (text === undefined) {
    text = meta.database.compile(insertStatement(meta, dialect, fields, rows.slice(0, 1), returning)).text;
    if (byFields.size < MAX_ONE_ROW_TEXTS) byFields.set(key, text);
  }
  if (rows.length === 1) return { text, values: insertValues(dialect, fields, rows) };
  return { text, values: rowValues(dialect, fields, rows), eachRow: true };
}

/** Many rows: one multi-row INSERT, or where the dialect inserts row by row, its one-row text run per row (each reports its key). */
function insertManyQuery(meta: ModelMeta, dialect: Dialect, fields: readonly Field[], rows: readonly (readonly unknown[])[], generatesKey: boolean): CompiledQuery {
  if (dialect.insertsRowByRow) return insertOneQuery(meta, dialect, fields, rows, false);
  return meta.database.compile(insertStatement(meta, dialect, fields, rows, generatesKey));
}

function insertStatement(meta: ModelMeta, dialect: Dialect, fields: readonly Field[], rows: readonly (readonly unknown[])[], generatesKey: boolean): Sql {
  const table = dialect.quote(meta.tablename);
  const returning = generatesKey ? dialect.returning(raw(dialect.quote(meta.pk.column))) : sql``;
  if (fields.length === 0) return sql`INSERT INTO ${raw(table)} ${raw(dialect.insertDefaultValues)}${returning}`;
  const columns = fields.map((field) => dialect.quote(field.column)).join(",");
  if (dialect.rowsFromArrays && rows.length > 1) {
    const arrays = fields.map((field) => rows.map((row) => boundValue(dialect, field, row[field.slot])));
    return sql`INSERT INTO ${raw(table)} (${raw(columns)}) ${dialect.rowsFromArrays(fields, arrays)}${returning}`;
  }
  // Built flat, string by string: nesting one Sql per value and per row costs more than the INSERT itself.
  const strings = [`INSERT INTO ${table} (${columns}) VALUES (`];
  for (let index = 1; index < rows.length * fields.length; index++) strings.push(index % fields.length === 0 ? "),(" : ",");
  strings.push(")", "");
  // RETURNING rides along as the last value: one pass of Sql's constructor over the thousands of values.
  const values = insertValues(dialect, fields, rows) as RawValue[];
  values.push(returning);
  return new Sql(strings, values);
}

/** The bound values of an INSERT's rows, row after row, in `fields` order. */
function insertValues(dialect: Dialect, fields: readonly Field[], rows: readonly (readonly unknown[])[]): unknown[] {
  const values: unknown[] = [];
  for (const row of rows) for (const field of fields) values.push(boundValue(dialect, field, row[field.slot]));
  return values;
}

/** Each row's bound values, in `fields` order. */
function rowValues(dialect: Dialect, fields: readonly Field[], rows: readonly (readonly unknown[])[]): unknown[][] {
  return rows.map((row) => fields.map((field) => boundValue(dialect, field, row[field.slot])));
}

function pkState(meta: ModelMeta, pk: unknown): QueryState {
  const exact = findLookup("exact")!;
  return patchState(emptyState, { conditions: [{ kind: "lookup", steps: [], field: meta.pk, lookup: exact, value: meta.pk.validate(pk) }] });
}

export async function updateByPk(meta: ModelMeta, pk: unknown, values: Record<string, unknown>): Promise<void> {
  const compiler = new QueryCompiler(meta, meta.database.dialect);
  const assignments = Object.entries(values).map(([name, value]) => {
    const field = meta.field(name);
    return [field, compiler.value(field, value)] as const;
  });
  const result = await withModel(meta, meta.database.run(compiler.update(pkState(meta, pk), assignments)));
  if (result.rowsAffected === 0) throw missing(meta, pk);
}

export async function deleteByPk(meta: ModelMeta, pk: unknown): Promise<void> {
  const compiler = new QueryCompiler(meta, meta.database.dialect);
  await withModel(meta, meta.database.run(compiler.delete(pkState(meta, pk))));
}

export function hasBigIntegers(meta: ModelMeta): boolean {
  return meta.columns.some((field) => field.kind === "bigint");
}

function missing(meta: ModelMeta, pk: unknown): NoMatch {
  return new NoMatch(`${meta.name} with ${meta.pk.name}=${JSON.stringify(typeof pk === "bigint" ? String(pk) : pk)} does not exist (deleted?)`);
}

/** Puts the model's name in front of a constraint violation, whose driver text names only tables and columns. */
export async function withModel<T>(meta: ModelMeta, pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof IntegrityError) throw new IntegrityError(`${meta.name}: ${error.message}`, { cause: error.cause });
    throw error;
  }
}
