import sql, { join, raw, type Sql } from "sql-template-tag";
import { ValidationError } from "../errors.js";
import type { ModelMeta } from "../model/meta.js";
import type { Database } from "../database.js";
import { validateSlots } from "../model/validation.js";
import { encodeValue } from "../query/compiler.js";
import { withModel } from "../query/persist.js";
import { about } from "../query/about.js";
import type { ForeignKeyField } from "./foreign-key.js";

/**
 * The join table's rows linking `ownerKey` to each of `keys`, as slots of the through model: its other fields
 * from `defaults` (checked like any row's, before any SQL) or their own defaults.
 */
export function linkRows(
  through: ModelMeta,
  near: ForeignKeyField,
  far: ForeignKeyField,
  ownerKey: unknown,
  keys: readonly unknown[],
  defaults: Record<string, unknown> = {},
): unknown[][] {
  if (typeof defaults !== "object" || defaults === null || Array.isArray(defaults)) {
    throw new ValidationError(`${through.name}: throughDefaults is an object of ${through.name}'s field values`, through.name);
  }
  for (const name of [near.name, far.name]) {
    if (name in defaults) throw new ValidationError(`${through.name}: throughDefaults may not set ${name}, which add() fills in`, through.name, name);
  }
  const now = new Date();
  const shared = { ...defaults };
  for (const field of through.fields) {
    const options = field.options as { autoNow?: boolean; autoNowAdd?: boolean };
    if ((options.autoNow || options.autoNowAdd) && shared[field.name] === undefined) shared[field.name] = now;
  }
  const template = validateSlots(through, { ...shared, [near.name]: ownerKey, [far.name]: keys[0] }, { partial: false, applyDefaults: true });
  return keys.map((key) => {
    const slots = template.slice();
    slots[far.slot] = key;
    return slots;
  });
}

/**
 * Inserts join-table rows, a pair already there left alone (ON CONFLICT DO NOTHING or its MySQL form): one
 * statement for as many rows as the database binds at once, all in one transaction when it takes more.
 */
export async function insertLinks(through: ModelMeta, database: Database, rows: readonly unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const dialect = database.dialect;
  const fields = through.columns.filter((field) => rows[0]![field.slot] !== undefined);
  const codecs = fields.map((field) => dialect.codec(field.kind));
  const values = rows.map((row) => fields.map((field, index) => encodeValue(codecs[index]!, field, row[field.slot])));
  const table = raw(dialect.quote(through.tablename));
  const columns = raw(`(${fields.map((field) => dialect.quote(field.column)).join(", ")})`);
  const ignore = raw(dialect.ignoreDuplicates(fields[0]!.column));
  // Where the dialect has a many-row form its text binds a value per column or one in all; else a VALUES list, cut to the bind limit.
  const perStatement = dialect.manyRows ? values.length : Math.max(1, Math.floor(dialect.maxBoundValues / fields.length));
  const statements: Sql[] = [];
  for (let start = 0; start < values.length; start += perStatement) {
    const chunk = values.slice(start, start + perStatement);
    const rowsClause = dialect.manyRows ? dialect.manyRows(fields, chunk) : sql`VALUES ${join(chunk.map((row) => sql`(${join(row)})`))}`;
    statements.push(sql`INSERT INTO ${table} ${columns} ${rowsClause}${ignore}`);
  }
  const run = async () => {
    for (const [index, statement] of statements.entries()) {
      const query = database.compile(statement);
      const options = { about: about(through, "INSERT", Math.min(perStatement, values.length - index * perStatement)) };
      // Answered at once where it can be (Database.runCompiledNow): no promise per statement.
      if (!database.runCompiledNow(query, options)) await database.runCompiled(query, options);
    }
  };
  await withModel(through, statements.length === 1 ? run() : database.transaction(run));
}
