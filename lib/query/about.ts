import type { Operation, StatementAbout } from "../drivers/driver.js";
import type { ModelMeta } from "../model/meta.js";

/** By model: one frozen description per operation, so a statement's options cost no allocation. */
const described = new WeakMap<ModelMeta, Partial<Record<Operation, StatementAbout>>>();

/** What a statement of `operation` on `meta`'s table is, for the "query" event (see StatementAbout). */
export function about(meta: ModelMeta, operation: Operation, batchSize?: number): StatementAbout {
  if (batchSize !== undefined) return { operation, model: meta.name, table: meta.tablename, batchSize };
  let byOperation = described.get(meta);
  if (!byOperation) described.set(meta, (byOperation = {}));
  return (byOperation[operation] ??= Object.freeze({ operation, model: meta.name, table: meta.tablename }));
}
