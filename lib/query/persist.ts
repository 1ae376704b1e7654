import sql, { empty, join, raw } from "sql-template-tag";
import type { Database } from "../database.js";
import { compiledFromStrings } from "../compiled-code.js";
import type { Codec, Conflict, Dialect } from "../dialects/dialect.js";
import type { CompiledQuery, QueryResult } from "../drivers/driver.js";
import { IntegrityError, NoMatch } from "../errors.js";
import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import { emptyState, encodeValue, patchState, type QueryState } from "./compiler.js";
import { findLookup } from "./lookups.js";
import { compileStatement, compileUpdate, dialectKey } from "./statement-cache.js";
import { about } from "./about.js";

/** Rows per many-row INSERT: bounds the work one statement holds up. */
const MAX_ROWS_PER_STATEMENT = 50_000;
/**
 * Characters of values per many-row INSERT, so that a statement fits in one server message whatever the rows
 * hold (MariaDB's max_allowed_packet is 16 MiB by default, MySQL 5.7's 4 MiB; escaping and UTF-8 can triple
 * a character's bytes).
 */
const MAX_CHARACTERS_PER_STATEMENT = 1_000_000;

/** Which of a model's columns rows give values for, and what inserting such rows takes, worked out once. */
interface InsertShape {
  /** A "+" or "-" per column, in declaration order. */
  readonly key: string;
  /** The columns given, in declaration order. */
  readonly fields: readonly Field[];
  /** The key column is left out: the database generates it. */
  readonly generatesKey: boolean;
  /** The one-row INSERT's text, without RETURNING ([0]) and with it ([1]), each built when first needed. */
  readonly texts: [string?, string?];
  /** Many-row `VALUES (…), (…)` texts, where the dialect has no many-row clause (see listedText). */
  readonly listed: Map<string, string>;
  /** Writes a row's values for `fields`, each encoded by its column's codec, into `into` from `at`. */
  readonly encode: RowEncoder;
}

type RowEncoder = (row: readonly unknown[], into: unknown[], at: number) => void;

/** Shapes kept per model (a program inserts few; past it, each is worked out every time). */
const MAX_INSERT_SHAPES = 500;
const insertShapes = new WeakMap<ModelMeta, Map<string, InsertShape>>();

/** The shape of a row of slots, inserted in `dialect`. */
function insertShape(meta: ModelMeta, dialect: Dialect, row: readonly unknown[]): InsertShape {
  let key = "";
  for (const field of meta.columns) key += row[field.slot] === undefined ? "-" : "+";
  key = dialectKey(meta, dialect, key);
  let byKey = insertShapes.get(meta);
  if (!byKey) insertShapes.set(meta, (byKey = new Map()));
  let shape = byKey.get(key);
  if (!shape) {
    const fields = meta.columns.filter((field) => row[field.slot] !== undefined);
    const codecs = fields.map((field) => dialect.codec(field.kind));
    const kept = byKey.size < MAX_INSERT_SHAPES;
    // Compiled only for a shape that is kept: compiling costs more than one call's rows would save.
    const encode = (kept && compiledEncoder(fields, codecs)) || generalEncoder(fields, codecs);
    shape = { key, fields, generatesKey: !fields.includes(meta.pk), texts: [], listed: new Map(), encode };
    if (kept) byKey.set(key, shape);
  }
  return shape;
}

function generalEncoder(fields: readonly Field[], codecs: readonly Codec[]): RowEncoder {
  return (row, into, at) => {
    for (let index = 0; index < fields.length; index++) into[at + index] = encodeValue(codecs[index]!, fields[index]!, row[fields[index]!.slot]);
  };
}

/**
 * generalEncoder as straight-line code (see compiled-code.ts), each column's codec and field at a call site of
 * its own; the text holds only slot numbers. Undefined where the process refuses code from strings.
 */
function compiledEncoder(fields: readonly Field[], codecs: readonly Codec[]): RowEncoder | undefined {
  const steps = fields.map((field, index) => `value = row[${field.slot}];\n  into[at + ${index}] = value === null ? null : codec${index}.encode(field${index}.toColumn(value), field${index});`);
  const body = `return function encodeRow(row, into, at) {\n  let value;\n  ${steps.join("\n  ")}\n};`;
  const parameters = [...codecs.map((_, index) => `codec${index}`), ...fields.map((_, index) => `field${index}`)];
  return compiledFromStrings<RowEncoder>(parameters, body, [...codecs, ...fields]);
}

/**
 * Rows of one statement, or of several where the dialect lists rows (see insertListed): where each row came
 * from and, where the dialect has a many-row clause, their values encoded for the database (the others encode
 * them as they list them, with no array per row).
 */
interface InsertBatch {
  readonly shape: InsertShape;
  readonly positions: number[];
  readonly encoded: unknown[][];
}

/**
 * Inserts validated rows, each as an instance's slots (see validateSlots), into `database`, and writes the key each
 * row got into its primary key's slot. Several statements run in one transaction.
 */
export async function insertRows(meta: ModelMeta, database: Database, rows: readonly unknown[][], conflict?: Conflict): Promise<void> {
  if (rows.length === 0) return;
  const pk = meta.pk;
  const batches = insertBatches(meta, database.dialect, rows);
  // A row that clashed reports no key, so keys cannot be matched to rows: they are not read back (as in Django).
  const onConflict = conflict ? database.dialect.onConflict(conflict, (name) => database.dialect.quote(name)) : undefined;
  const run = async () => {
    for (const [index, batch] of batches.entries()) {
      await insertBatch(meta, database, batch, rows, onConflict);
      if (!batch.shape.generatesKey) {
        // After the last batch of rows that set the key themselves, the generator moves past them.
        if (batches[index + 1]?.shape !== batch.shape) await resyncKeys(meta, database);
      } else if (onConflict) for (const row of batch.positions) rows[row]![pk.slot] = null;
    }
  };
  const statements = database.dialect.manyRows ? batches.length : batches.reduce((count, batch) => count + listedStatements(database.dialect, batch), 0);
  await withModel(meta, statements === 1 ? run() : database.transaction(run));
}

/** One batch's rows inserted; where the database generates their keys and they are read, each written into its row's slot. */
async function insertBatch(meta: ModelMeta, database: Database, batch: InsertBatch, slots: readonly unknown[][], onConflict: string | undefined): Promise<void> {
  const { shape, positions } = batch;
  const { dialect } = database;
  const readsKeys = shape.generatesKey && !onConflict;
  if (positions.length > 1 && shape.fields.length > 0 && !dialect.manyRows && (!readsKeys || (await keysFollow(meta, database, positions.length)))) {
    return insertListed(meta, database, batch, slots, readsKeys, onConflict);
  }
  const values = dialect.manyRows ? batch.encoded : positions.map((row) => encodeRow(shape, slots[row]!));
  const query =
    values.length === 1 ? { text: oneRowText(meta, database, shape, readsKeys, onConflict), values: values[0]! } : insertManyQuery(meta, database, shape, values, readsKeys, onConflict);
  // A bigint key past 2^53 (SQLite's random keys) is read exactly.
  const exactIntegers = meta.pk.kind === "bigint";
  const result = await database.runCompiled(query, { about: about(meta, "INSERT", values.length), arrayRows: true, exactIntegers });
  if (!readsKeys) return;
  placeKeys(meta, slots, positions, 0, await generatedKeys(meta, database, result, values.length));
}

/**
 * Many rows where the dialect has no many-row clause (SQLite): `VALUES (…), (…)` lists of as many rows as fit
 * valuesPerInsert, then one of the rest, each text built and prepared once, their values encoded straight into
 * the statement's one array. Keys are worked out from each statement's last one. Each statement is answered at
 * once where it can be (Database.runCompiledNow): awaiting each would make promises in proportion to the rows.
 */
async function insertListed(meta: ModelMeta, database: Database, batch: InsertBatch, slots: readonly unknown[][], readsKeys: boolean, onConflict: string | undefined): Promise<void> {
  const { shape, positions } = batch;
  const perStatement = rowsPerListedStatement(database.dialect, shape);
  for (let start = 0; start < positions.length; start += perStatement) {
    const count = Math.min(perStatement, positions.length - start);
    const query = { text: listedText(meta, database.dialect, shape, count, onConflict), values: encodeListed(shape, slots, positions, start, count), encoded: true };
    const options = { about: about(meta, "INSERT", count), arrayRows: true };
    const result = database.runCompiledNow(query, options) ?? (await database.runCompiled(query, options));
    // The rows' keys run up to the statement's last one, one apart (keysFollow checked it).
    if (readsKeys) placeKeys(meta, slots, positions, start, keysOf(meta, database.dialect, [], Number(result.insertId) - count + 1, count, 1));
  }
}

/**
 * The values of `count` rows from `start`, encoded, in one array. Loops of their own, outside the async
 * function: its loops were compiled on the stack with the call's objects in them, and compiled again every call.
 */
function encodeListed(shape: InsertShape, slots: readonly unknown[][], positions: readonly number[], start: number, count: number): unknown[] {
  const { encode } = shape;
  const columns = shape.fields.length;
  const bound = new Array<unknown>(count * columns);
  for (let row = 0; row < count; row++) encode(slots[positions[start + row]!]!, bound, row * columns);
  return bound;
}

/**
 * `keys` into the key slots of the rows at `positions` from `start` on. A loop of its own, outside the async
 * functions that meet a batch and a result: V8 forgets their hidden classes at full collections (see insertBatches).
 */
function placeKeys(meta: ModelMeta, slots: readonly unknown[][], positions: readonly number[], start: number, keys: readonly unknown[]): void {
  const { slot } = meta.pk;
  for (let row = 0; row < keys.length; row++) slots[positions[start + row]!]![slot] = keys[row];
}

/** How many statements a batch takes (one where the dialect has a many-row clause). */
function listedStatements(dialect: Dialect, batch: InsertBatch): number {
  return Math.ceil(batch.positions.length / rowsPerListedStatement(dialect, batch.shape));
}

/** The rows whose values fit in one listed statement. */
function rowsPerListedStatement(dialect: Dialect, shape: InsertShape): number {
  return Math.max(1, Math.floor((dialect.valuesPerInsert ?? dialect.maxParameters) / Math.max(1, shape.fields.length)));
}

/** Texts of listed statements kept per shape, by clash clause and number of rows (full statements' and a few remainders'). */
const MAX_LISTED_TEXTS = 64;

function listedText(meta: ModelMeta, dialect: Dialect, shape: InsertShape, count: number, onConflict: string | undefined): string {
  const key = `${count}${onConflict ?? ""}`;
  let text = shape.listed.get(key);
  if (text === undefined) {
    const row = `(${shape.fields.map(() => "?").join(", ")})`;
    text = `INSERT INTO ${dialect.quote(meta.tablename)} ${insertColumns(dialect, shape.fields).sql} VALUES ${new Array<string>(count).fill(row).join(", ")}${onConflict ?? ""}`;
    if (shape.listed.size < MAX_LISTED_TEXTS) shape.listed.set(key, text);
  }
  return text;
}

/** Whether the next `rows` rows' keys follow the table's largest key one apart (see Dialect.largestKey). */
async function keysFollow(meta: ModelMeta, database: Database, rows: number): Promise<boolean> {
  const query = database.dialect.largestKey?.(meta.tablename, meta.pk.column);
  if (!query) return true;
  const result = await database.runCompiled(database.compile(query), { about: about(meta, "SELECT"), arrayRows: true });
  return Number((result.rows[0] as unknown[])[0]) + rows <= Number.MAX_SAFE_INTEGER;
}

/**
 * The rows in statements: rows giving the same fields share one (rows that set the key themselves and rows
 * that leave it to the database never do), up to a statement's bounds where the dialect sends many rows at once.
 *
 * The loops over the rows (positionsByShape, encodedStatements) touch nothing per row but arrays and the shapes
 * kept per model: V8 forgets a hidden class that no live object has after two full collections, and deoptimizes the
 * code that met it; a loop that met an InsertBatch would be compiled again after every collection, 10,000 rows on.
 */
function insertBatches(meta: ModelMeta, dialect: Dialect, rows: readonly unknown[][]): InsertBatch[] {
  const batches: InsertBatch[] = [];
  for (const [shape, positions] of positionsByShape(meta, dialect, rows)) {
    if (!dialect.manyRows) batches.push({ shape, positions, encoded: [] });
    else for (const [statementPositions, encoded] of encodedStatements(shape, rows, positions)) batches.push({ shape, positions: statementPositions, encoded });
  }
  return batches;
}

/** The positions of the rows of each shape, in the order the shapes first appear. */
function positionsByShape(meta: ModelMeta, dialect: Dialect, rows: readonly unknown[][]): Iterable<[InsertShape, number[]]> {
  const groups = new Map<string, [InsertShape, number[]]>();
  let previous: [InsertShape, number[]] | undefined;
  // A loop, not forEach: a callback made per call would be compiled anew by each call that runs it hot.
  for (let position = 0; position < rows.length; position++) {
    const row = rows[position]!;
    // Rows of one call mostly give the same fields: the previous row's group is tried before a key is built.
    if (!previous || !givesExactly(previous[0].fields, meta.columns, row)) {
      const shape = insertShape(meta, dialect, row);
      previous = groups.get(shape.key);
      if (!previous) groups.set(shape.key, (previous = [shape, []]));
    }
    previous[1].push(position);
  }
  return groups.values();
}

/** Rows of one shape, encoded, in many-row statements within a statement's bounds: each statement's positions and values. */
function encodedStatements(shape: InsertShape, rows: readonly unknown[][], positions: readonly number[]): [number[], unknown[][]][] {
  const { fields } = shape;
  const statements: [number[], unknown[][]][] = [];
  let statementPositions: number[] = [];
  let encoded: unknown[][] = [];
  let characters = 0;
  for (const position of positions) {
    const values = encodeRow(shape, rows[position]!);
    const size = valuesSize(values);
    // A row of nothing but defaults has no VALUES list to share, so it goes alone.
    const full = fields.length === 0 || encoded.length === MAX_ROWS_PER_STATEMENT || characters + size > MAX_CHARACTERS_PER_STATEMENT;
    if (encoded.length > 0 && full) {
      statements.push([statementPositions, encoded]);
      statementPositions = [];
      encoded = [];
      characters = 0;
    }
    characters += size;
    statementPositions.push(position);
    encoded.push(values);
  }
  if (encoded.length > 0) statements.push([statementPositions, encoded]);
  return statements;
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

/** One row's bound values, in the shape's order. */
function encodeRow(shape: InsertShape, row: readonly unknown[]): unknown[] {
  const values = new Array<unknown>(shape.fields.length);
  shape.encode(row, values, 0);
  return values;
}

/** About how many characters the values take in a statement. */
function valuesSize(values: readonly unknown[]): number {
  let size = 0;
  for (const value of values) size += typeof value === "string" ? value.length : value instanceof Uint8Array ? 2 * value.byteLength : 8;
  return size;
}

/** One validated row's slots (create(), save()) into `database`: one INSERT, without insertRows' grouping; returns its primary key. */
export async function insertRow(meta: ModelMeta, database: Database, slots: readonly unknown[]): Promise<unknown> {
  const shape = insertShape(meta, database.dialect, slots);
  const query = { text: oneRowText(meta, database, shape, shape.generatesKey), values: encodeRow(shape, slots) };
  const result = await withModel(meta, database.runCompiled(query, { about: about(meta, "INSERT"), arrayRows: true }));
  if (shape.generatesKey) return keysOf(meta, database.dialect, result.rows as unknown[][], Number(result.insertId), 1, 1)[0];
  await resyncKeys(meta, database);
  return slots[meta.pk.slot];
}

/** The keys the database gave an INSERT's `count` rows, in order. */
async function generatedKeys(meta: ModelMeta, database: Database, result: QueryResult, count: number): Promise<unknown[]> {
  // Without RETURNING (MySQL) a many-row INSERT reports its first id; InnoDB gives the rest `step` apart.
  const step = result.rows.length === 0 && count > 1 ? await generatedKeyStep(database) : 1;
  return keysOf(meta, database.dialect, result.rows as unknown[][], Number(result.insertId), count, step);
}

/** The keys of an INSERT's `count` rows: `returned` by RETURNING, or else the `first` id plus `step` per row. */
function keysOf(meta: ModelMeta, dialect: Dialect, returned: readonly (readonly unknown[])[], first: number, count: number, step: number): unknown[] {
  const { pk } = meta;
  const codec = dialect.codec(pk.kind);
  const keys = new Array<unknown>(count);
  if (returned.length > 0) for (let position = 0; position < count; position++) keys[position] = codec.decode(returned[position]![0], pk);
  else for (let position = 0; position < count; position++) keys[position] = codec.decode(first + position * step, pk);
  return keys;
}

/** By database: the step between the keys one INSERT generates, asked once (a server setting, seldom a session's). */
const keySteps = new WeakMap<Database, number>();

async function generatedKeyStep(database: Database): Promise<number> {
  const query = database.dialect.generatedKeyStep;
  if (!query) return 1;
  let step = keySteps.get(database);
  if (step === undefined) {
    const result = await database.runCompiled(database.compile(query), { arrayRows: true });
    keySteps.set(database, (step = Number((result.rows[0] as unknown[])[0])));
  }
  return step;
}

/** After rows that set a generated key themselves, the sequence moves past them where the dialect needs telling. */
async function resyncKeys(meta: ModelMeta, database: Database): Promise<void> {
  const resync = meta.pk.generated && database.dialect.afterExplicitKeys(meta.tablename, meta.pk.column);
  if (resync) await database.run(resync);
}

/** The text of a one-row INSERT of rows of this shape, with RETURNING of the key or without; kept but where rows may clash (`onConflict`). */
function oneRowText(meta: ModelMeta, database: Database, shape: InsertShape, returning: boolean, onConflict?: string): string {
  const { fields, texts } = shape;
  const index = returning ? 1 : 0;
  let text = onConflict === undefined ? texts[index] : undefined;
  if (text === undefined) {
    const dialect = database.dialect;
    const values = fields.length === 0 ? raw(dialect.insertDefaultValues) : sql`${insertColumns(dialect, fields)} VALUES (${join(fields.map(() => null))})`;
    text = database.compile(sql`INSERT INTO ${raw(dialect.quote(meta.tablename))} ${values}${raw(onConflict ?? "")}${returningKey(meta, dialect, returning)}`).text;
    if (onConflict === undefined) texts[index] = text;
  }
  return text;
}

/** Many rows: one INSERT reading them from the dialect's many-row clause, or its one-row text run per row (each reports its key). */
function insertManyQuery(meta: ModelMeta, database: Database, shape: InsertShape, rows: readonly (readonly unknown[])[], returning: boolean, onConflict?: string): CompiledQuery {
  const dialect = database.dialect;
  if (!dialect.manyRows) return { text: oneRowText(meta, database, shape, false, onConflict), values: rows, eachRow: true };
  const table = raw(dialect.quote(meta.tablename));
  return database.compile(sql`INSERT INTO ${table} ${insertColumns(dialect, shape.fields)} ${dialect.manyRows(shape.fields, rows)}${raw(onConflict ?? "")}${returningKey(meta, dialect, returning)}`);
}

function insertColumns(dialect: Dialect, fields: readonly Field[]) {
  return raw(`(${fields.map((field) => dialect.quote(field.column)).join(",")})`);
}

function returningKey(meta: ModelMeta, dialect: Dialect, returning: boolean) {
  return returning ? dialect.returning(raw(dialect.quote(meta.pk.column))) : empty;
}

function pkState(meta: ModelMeta, pk: unknown): QueryState {
  const exact = findLookup("exact")!;
  return patchState(emptyState, { conditions: [{ kind: "lookup", steps: [], field: meta.pk, lookup: exact, value: meta.pk.validate(pk) }] });
}

/** UPDATE of the row with this key in `database`; NoMatch where there is none (unless `missingOk`: then whether there was). */
export async function updateByPk(meta: ModelMeta, database: Database, pk: unknown, values: Record<string, unknown>, missingOk = false): Promise<boolean> {
  const assigned = Object.entries(values).map(([name, value]) => [meta.field(name), value] as const);
  const result = await withModel(meta, database.runCompiled(compileUpdate(meta, database, pkState(meta, pk), assigned), { about: about(meta, "UPDATE") }));
  if (result.rowsAffected === 0 && !missingOk) throw missing(meta, pk);
  return result.rowsAffected > 0;
}

export async function deleteByPk(meta: ModelMeta, database: Database, pk: unknown): Promise<void> {
  const state = pkState(meta, pk);
  await withModel(meta, database.runCompiled(compileStatement(meta, database, "delete", state, (compiler) => compiler.delete(state)), { about: about(meta, "DELETE") }));
}

export function hasBigIntegers(meta: ModelMeta): boolean {
  return meta.columns.some((field) => field.kind === "bigint");
}

function missing(meta: ModelMeta, pk: unknown): NoMatch {
  return new NoMatch(`${meta.name} with ${meta.pk.name}=${JSON.stringify(typeof pk === "bigint" ? String(pk) : pk)} does not exist (deleted?)`);
}

/** Puts the model's name in front of a constraint violation, with the model's field names for what the database reported. */
export async function withModel<T>(meta: ModelMeta, pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof IntegrityError) throw attributed(meta, error);
    throw error;
  }
}

/**
 * The violation in the model's terms: the model whose table it is (the referencing one, for a foreign key that
 * blocks a delete), its fields for the columns reported, and where the database gave only a name (MySQL's
 * duplicate key) or only columns (SQLite), the other worked out from the model's declared constraints.
 */
function attributed(meta: ModelMeta, error: IntegrityError): IntegrityError {
  const owner = (error.table !== undefined && meta.database.models.find((model) => model.tablename === error.table)) || meta;
  const byColumn = (column: string) => owner.columns.find((field) => field.column === column)?.name;
  let fields = error.columns.map(byColumn).filter((name) => name !== undefined);
  let { constraint } = error;
  if (fields.length === 0 && constraint !== undefined) fields = fieldsOfConstraint(owner, constraint);
  if (constraint === undefined && error.kind === "unique" && fields.length > 1) {
    const key = [...fields].sort().join();
    constraint = owner.constraints.find((declared) => declared.kind === "unique" && [...declared.fields].sort().join() === key)?.name;
  }
  return new IntegrityError(`${meta.name}: ${error.message}`, {
    cause: error.cause,
    kind: error.kind,
    constraint,
    table: error.table ?? owner.tablename,
    columns: error.columns,
    model: owner.name,
    fields,
  });
}

/** The fields a constraint or unique index of this name covers, as far as its name tells. */
function fieldsOfConstraint(meta: ModelMeta, name: string): string[] {
  const declared = meta.constraints.find((constraint) => constraint.name === name);
  if (declared?.kind === "unique") return [...declared.fields];
  if (declared?.kind === "check" && typeof declared.check === "object") {
    return [...new Set(Object.keys(declared.check).map((key) => key.split("__")[0]!).filter((field) => meta.fieldMap.has(field)))];
  }
  const index = meta.indexes.find((declared) => declared.name === name);
  if (index) return index.fields.map((field) => field.replace(/^-/, ""));
  if (name === "PRIMARY") return [meta.pk.name];
  // MySQL names a column's UNIQUE index after the column; PostgreSQL names a column's CHECK table_column_check.
  const field = meta.columns.find((candidate) => name === candidate.column || name === `${meta.tablename}_${candidate.column}_check`);
  return field ? [field.name] : [];
}
