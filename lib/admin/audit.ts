import type { Database } from "../database.js";
import { DateTime, Enum, JSON as JSONField, String as StringField } from "../model/columns.js";
import { Model, type ModelClass } from "../model/model.js";
import { createTableStatements } from "../query/ddl.js";
import { META } from "../model/instance.js";

/** The audit log's model on a database: defined once, its table created when the admin first writes. */
const logs = new WeakMap<Database, { model: ModelClass; ready?: Promise<void> }>();

export const AUDIT_MODEL = "QuarryAdminLog";

function auditModel(database: Database) {
  return Model.define(
    AUDIT_MODEL,
    {
      at: DateTime({ autoNowAdd: true }),
      user: StringField({ maxLength: 200 }),
      action: Enum(["add", "change", "delete"]),
      model: StringField({ maxLength: 100 }),
      objectKey: StringField({ maxLength: 100, column: "object_key" }),
      changes: JSONField({ allowNull: true }),
    },
    { database, tablename: "quarry_admin_log" },
  );
}

/** The audit log's model on `database` (every admin write adds a row to it, in the write's transaction). */
export function auditLog(database: Database): ModelClass {
  let log = logs.get(database);
  if (!log) {
    const existing = database.models.find((meta) => meta.name === AUDIT_MODEL);
    logs.set(database, (log = { model: existing ? existing.model : (auditModel(database) as unknown as ModelClass) }));
  }
  return log.model;
}

/** Creates the audit log's table if it is missing (once per process and database). */
export function ensureAuditTable(database: Database): Promise<void> {
  const model = auditLog(database);
  const log = logs.get(database)!;
  log.ready ??= (async () => {
    for (const statement of createTableStatements(model[META], database.dialect)) await database.run(statement);
  })().catch((error: unknown) => {
    log.ready = undefined;
    throw error;
  });
  return log.ready;
}
