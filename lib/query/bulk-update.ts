import sql, { join, raw, type Sql } from "sql-template-tag";
import { ValidationError } from "../errors.js";
import type { Field } from "../model/fields.js";
import { ownState } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import { validateValues } from "../model/validation.js";
import { boundValue, patchState, QueryCompiler, type QueryState } from "./compiler.js";
import type { Database } from "../database.js";
import type { Dialect } from "../dialects/dialect.js";
import { withModel } from "./persist.js";
import { resolveCondition } from "./where.js";

/**
 * Bound values per UPDATE: under every database's limit on parameters in one statement (SQLite's 32,766
 * since 3.32, PostgreSQL's and MySQL's 65,535).
 */
const MAX_PARAMETERS = 30_000;

/**
 * Writes `names` of each instance in one UPDATE per batch of rows:
 * `SET f = CASE pk WHEN ? THEN ? ... END WHERE pk IN (...)`, and the conditions of `state` (a filtered QuerySet
 * writes only the rows it holds, as in Django). Several batches run in one transaction. Returns how many rows were matched.
 */
export async function updateRows(meta: ModelMeta, database: Database, state: QueryState, instances: readonly object[], names: readonly string[]): Promise<number> {
  const where = `${meta.name}.objects.bulkUpdate()`;
  if (!Array.isArray(instances)) throw new ValidationError(`${where} needs an array of ${meta.name} instances`, meta.name);
  if (!Array.isArray(names) || names.length === 0) throw new ValidationError(`${where} needs the names of the fields to write, such as ["title"]`, meta.name);
  const fields = names.map((name) => meta.field(String(name), "field to update"));
  const pkField = fields.find((field) => field === meta.pk);
  if (pkField) throw new ValidationError(`${where}: the primary key ${pkField.name} identifies the rows and cannot be one of the fields written`, meta.name, pkField.name);
  const rows = instances.map((instance, position) => {
    if (!(instance instanceof meta.model)) {
      throw new ValidationError(`${where}: item ${position} is not a ${meta.name} instance`, meta.name);
    }
    const pk = (instance as { pk?: unknown }).pk;
    if (pk === null || pk === undefined || !ownState(instance).persisted) throw new ValidationError(`${where}: item ${position} was never saved, so it has no row to update`, meta.name);
    const self = instance as unknown as Record<string, unknown>;
    const values = validateValues(meta, Object.fromEntries(fields.map((field) => [field.name, self[field.name]])), { partial: true });
    return { instance, pk, values: fields.map((field) => values[field.name]) };
  });
  if (rows.length === 0) return 0;
  const perRow = 1 + 2 * fields.length;
  const batchSize = Math.max(1, Math.floor(MAX_PARAMETERS / perRow));
  const run = async () => {
    let matched = 0;
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const result = await withModel(meta, database.run(updateStatement(meta, database.dialect, state, fields, batch)));
      matched += result.rowsAffected;
    }
    return matched;
  };
  const matched = rows.length > batchSize ? await database.transaction(run) : await run();
  for (const { instance } of rows) for (const field of fields) ownState(instance).dirty?.delete(field.name);
  return matched;
}

function updateStatement(meta: ModelMeta, dialect: Dialect, state: QueryState, fields: readonly Field[], rows: readonly { pk: unknown; values: readonly unknown[] }[]): Sql {
  const quote = (field: Field) => raw(dialect.quote(field.column));
  const key = quote(meta.pk);
  const keys = rows.map((row) => boundValue(dialect, meta.pk, row.pk));
  const sets = fields.map((field, index) => {
    const branches = rows.map((row, position) => sql`WHEN ${keys[position]} THEN ${dialect.typedValue(sql`${boundValue(dialect, field, row.values[index])}`, field)}`);
    return [field, sql`CASE ${key} ${join(branches, " ")} ELSE ${quote(field)} END`] as const;
  });
  const rowsOfBatch = resolveCondition(meta, { [`${meta.pk.name}__in`]: rows.map((row) => row.pk) });
  return new QueryCompiler(meta, dialect).update(patchState(state, { conditions: [...state.conditions, rowsOfBatch] }), sets);
}
