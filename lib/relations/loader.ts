import DataLoader from "dataloader";
import type { StubOrigin } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { Database } from "../database.js";
import { decodeRow, emptyState, patchState } from "../query/compiler.js";
import { findLookup } from "../query/lookups.js";
import { hasBigIntegers } from "../query/persist.js";
import { compileSelect } from "../query/statement-cache.js";
import { about } from "../query/about.js";
import type { StatementBounds } from "../statement-bounds.js";

/** A model's batching loader, and for each load waiting in its batch, what the N+1 detector is told if it goes out alone. */
interface RowLoader {
  readonly loader: DataLoader<unknown, Record<string, unknown> | undefined, string>;
  readonly waiting: (LazyStubLoad | undefined)[];
}

/** One loader per model and per transaction (or database, outside one): a batch must run on its callers' connection. */
const loaders = new WeakMap<object, Map<ModelMeta, RowLoader>>();

/**
 * Every field of the row with this primary key, or undefined. Loads asked for in the same tick go out
 * as one `WHERE pk IN (...)`; nothing is cached past the batch, so a later call never sees a stale row. A load with
 * bounds of its own goes alone: a batch runs under one caller's bounds.
 */
export function loadRow(meta: ModelMeta, database: Database, key: unknown, stub?: StubOrigin, bounds?: StatementBounds): Promise<Record<string, unknown> | undefined> {
  if (bounds) return loadBatch(meta, database, [key], [stub && lazyStubLoad(meta, key, stub)], bounds).then(([row]) => row);
  const scope = database.currentTransaction ?? database;
  let byModel = loaders.get(scope);
  if (!byModel) loaders.set(scope, (byModel = new Map()));
  let rowLoader = byModel.get(meta);
  if (!rowLoader) {
    const waiting: (LazyStubLoad | undefined)[] = [];
    const loader = new DataLoader((keys: readonly unknown[]) => loadBatch(meta, database, keys, waiting.splice(0, keys.length)), { cache: false, maxBatchSize: 1000, cacheKeyFn: String });
    byModel.set(meta, (rowLoader = { loader, waiting }));
  }
  // Whether a stub's load is an N+1 shows only when its batch goes out: alone, it was one query of many.
  rowLoader.waiting.push(stub && lazyStubLoad(meta, key, stub));
  return rowLoader.loader.load(key);
}

/** A stub's load() as the N+1 detector needs it, taken where its caller runs; undefined when detection is off. */
interface LazyStubLoad {
  readonly report: () => void;
}

function lazyStubLoad(meta: ModelMeta, key: unknown, stub: StubOrigin): LazyStubLoad | undefined {
  const detector = meta.database.nPlusOne;
  const pending = detector.pending();
  if (!pending) return undefined;
  const fix = `${stub.model}.objects.selectRelated("${stub.field}") (or prefetchRelated("${stub.field}"))`;
  return { report: () => detector.lazyLoad("load", stub.model, stub.field, fix, { target: `${meta.name}#${String(key)}` }, pending) };
}

async function loadBatch(
  meta: ModelMeta,
  database: Database,
  keys: readonly unknown[],
  loads: readonly (LazyStubLoad | undefined)[],
  bounds?: StatementBounds,
): Promise<Array<Record<string, unknown> | undefined>> {
  if (keys.length === 1) loads[0]?.report();
  const unique = [...new Map(keys.map((key) => [String(key), key])).values()];
  const { query, columns } = compileSelect(
    meta,
    patchState(emptyState, { conditions: [{ kind: "lookup", steps: [], field: meta.pk, lookup: findLookup("in")!, value: unique }] }),
    database,
  );
  const result = await database.runCompiled(query, { about: about(meta, "SELECT", unique.length), arrayRows: true, exactIntegers: hasBigIntegers(meta), ...bounds });
  const rows = new Map<string, Record<string, unknown>>();
  for (const row of result.rows) {
    const values = decodeRow(columns, row as unknown[]);
    rows.set(String(values[meta.pk.name]), values);
  }
  return keys.map((key) => rows.get(String(key)));
}
