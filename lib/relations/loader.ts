import DataLoader from "dataloader";
import type { ModelMeta } from "../model/meta.js";
import { decodeRow, emptyState, patchState } from "../query/compiler.js";
import { findLookup } from "../query/lookups.js";
import { hasBigIntegers } from "../query/persist.js";
import { compileSelect } from "../query/statement-cache.js";
import { about } from "../query/about.js";

type RowLoader = DataLoader<unknown, Record<string, unknown> | undefined, string>;

/** One loader per model and per transaction (or none): a batch must run on its callers' connection. */
const loaders = new WeakMap<object, Map<ModelMeta, RowLoader>>();

/**
 * Every field of the row with this primary key, or undefined. Loads asked for in the same tick go out
 * as one `WHERE pk IN (...)`; nothing is cached past the batch, so a later call never sees a stale row.
 */
export function loadRow(meta: ModelMeta, key: unknown): Promise<Record<string, unknown> | undefined> {
  const scope = meta.database.currentTransaction ?? meta.database;
  let byModel = loaders.get(scope);
  if (!byModel) loaders.set(scope, (byModel = new Map()));
  let loader = byModel.get(meta);
  if (!loader) byModel.set(meta, (loader = new DataLoader((keys) => loadBatch(meta, keys), { cache: false, maxBatchSize: 1000, cacheKeyFn: String })));
  return loader.load(key);
}

async function loadBatch(meta: ModelMeta, keys: readonly unknown[]): Promise<Array<Record<string, unknown> | undefined>> {
  const unique = [...new Map(keys.map((key) => [String(key), key])).values()];
  const { query, columns } = compileSelect(
    meta,
    patchState(emptyState, { conditions: [{ kind: "lookup", steps: [], field: meta.pk, lookup: findLookup("in")!, value: unique }] }),
  );
  const result = await meta.database.runCompiled(query, { about: about(meta, "SELECT", unique.length), arrayRows: true, exactIntegers: hasBigIntegers(meta) });
  const rows = new Map<string, Record<string, unknown>>();
  for (const row of result.rows) {
    const values = decodeRow(columns, row as unknown[]);
    rows.set(String(values[meta.pk.name]), values);
  }
  return keys.map((key) => rows.get(String(key)));
}
