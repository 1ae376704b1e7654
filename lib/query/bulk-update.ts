import type { Sql } from "sql-template-tag";
import { ValidationError } from "../errors.js";
import type { Field } from "../model/fields.js";
import { ownState, stateOf } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import { validateFields } from "../model/validation.js";
import { encodeValue, QueryCompiler, type QueryState } from "./compiler.js";
import type { Database } from "../database.js";
import type { Dialect } from "../dialects/dialect.js";
import { withModel } from "./persist.js";

/**
 * Bound values per UPDATE: under every database's limit on parameters in one statement (SQLite's 32,766
 * since 3.32, PostgreSQL's and MySQL's 65,535).
 */
const MAX_PARAMETERS = 30_000;

/**
 * Writes `names` of each instance in one UPDATE per batch of rows, joined on the key to a derived table of the
 * rows' new values, for the rows `state` holds (a filtered QuerySet writes only its own rows, as in Django).
 * An instance given twice writes its last values. Several batches run in one transaction. Returns how many rows were matched.
 */
export async function updateRows(meta: ModelMeta, database: Database, state: QueryState, instances: readonly object[], names: readonly string[]): Promise<number> {
  const where = `${meta.name}.objects.bulkUpdate()`;
  if (!Array.isArray(instances)) throw new ValidationError(`${where} needs an array of ${meta.name} instances`, meta.name);
  if (!Array.isArray(names) || names.length === 0) throw new ValidationError(`${where} needs the names of the fields to write, such as ["title"]`, meta.name);
  const fields = [...new Set(names.map((name) => meta.field(String(name), "field to update")))];
  const pkField = fields.find((field) => field === meta.pk);
  if (pkField) throw new ValidationError(`${where}: the primary key ${pkField.name} identifies the rows and cannot be one of the fields written`, meta.name, pkField.name);
  // The model class is a Proxy: its prototype read once, not through the trap per row as instanceof would.
  const { prototype } = meta.model;
  // By key: an instance given twice writes its last values.
  const byKey = new Map<unknown, Row>();
  instances.forEach((instance, position) => {
    if (typeof instance !== "object" || instance === null || !Object.prototype.isPrototypeOf.call(prototype, instance)) {
      throw new ValidationError(`${where}: item ${position} is not a ${meta.name} instance`, meta.name);
    }
    const pk = (instance as { pk?: unknown }).pk;
    if (pk === null || pk === undefined || !stateOf(instance).persisted) throw new ValidationError(`${where}: item ${position} was never saved, so it has no row to update`, meta.name);
    const self = instance as unknown as Record<string, unknown>;
    byKey.set(pk, { pk, slots: validateFields(meta, fields, fields.map((field) => self[field.name])) });
  });
  const rows = [...byKey.values()];
  if (rows.length === 0) return 0;
  const batchSize = Math.max(1, Math.floor(MAX_PARAMETERS / (1 + fields.length)));
  const run = async () => {
    let matched = 0;
    for (let start = 0; start < rows.length; start += batchSize) {
      const query = database.compile(updateStatement(meta, database.dialect, state, fields, rows.slice(start, start + batchSize)));
      // Answered at once where it can be (Database.runCompiledNow): no promise per statement.
      const result = database.runCompiledNow(query) ?? (await database.runCompiled(query));
      matched += result.rowsAffected;
    }
    return matched;
  };
  const matched = await withModel(meta, rows.length > batchSize ? database.transaction(run) : run());
  for (const instance of instances) {
    if (stateOf(instance).dirty) for (const field of fields) ownState(instance).dirty?.delete(field.name);
  }
  return matched;
}

/** A row to write: its key, and the checked values of the fields written in their slots. */
interface Row {
  readonly pk: unknown;
  readonly slots: readonly unknown[];
}

function updateStatement(meta: ModelMeta, dialect: Dialect, state: QueryState, fields: readonly Field[], rows: readonly Row[]): Sql {
  // Each column's codec looked up once, not once a value.
  const keyCodec = dialect.codec(meta.pk.kind);
  const codecs = fields.map((field) => dialect.codec(field.kind));
  const bound = rows.map((row) => {
    const values = new Array<unknown>(fields.length + 1);
    values[0] = encodeValue(keyCodec, meta.pk, row.pk);
    for (let index = 0; index < fields.length; index++) values[index + 1] = encodeValue(codecs[index]!, fields[index]!, row.slots[fields[index]!.slot]);
    return values;
  });
  return new QueryCompiler(meta, dialect).updateFromRows(state, fields, bound);
}
