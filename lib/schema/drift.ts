import { randomBytes } from "node:crypto";
import { raw } from "sql-template-tag";
import type { Database } from "../database.js";
import { MigrationGraph } from "../migrations/graph.js";
import { historicalModels } from "../migrations/historical.js";
import type { Migration } from "../migrations/migration.js";
import { HISTORY_TABLE, Recorder } from "../migrations/recorder.js";
import { ProjectState } from "../migrations/state.js";
import { readCatalog, type Catalog } from "./catalog.js";
import { compareCatalogs, type CatalogDifference } from "./compare.js";

export interface Drift {
  /** The applied migrations the expected schema replays, in order. */
  readonly applied: readonly string[];
  /** Empty when the live schema is the one the applied migrations make. */
  readonly differences: readonly CatalogDifference[];
}

/** The state the applied migrations (those the history table lists) give, replayed in dependency order. */
async function appliedState(database: Database, migrations: readonly Migration[]): Promise<{ state: ProjectState; applied: string[] }> {
  const state = new ProjectState();
  const hasHistory = (await readCatalog(database, { tables: [HISTORY_TABLE] })).tables.length > 0;
  if (!hasHistory) return { state, applied: [] };
  const recorder = new Recorder(database);
  let recorded: ReadonlyMap<string, unknown>;
  try {
    recorded = await recorder.applied();
  } finally {
    recorder.release();
  }
  const applied = new MigrationGraph(migrations).order.filter((migration) => recorded.has(migration.name));
  for (const migration of applied) for (const operation of migration.operations) operation.stateForwards(state);
  return { state, applied: applied.map((migration) => migration.name) };
}

class Rollback extends Error {}

/**
 * The catalog createAll() gives for `state`'s models, built where the live schema is not touched (the dialect's
 * scratch: a schema created in a transaction that is rolled back, a database of its own dropped afterwards, or
 * SQLite in memory) and read back.
 */
async function catalogOf(live: Database, state: ProjectState): Promise<Catalog> {
  const scratch = live.dialect.scratch;
  const database = scratch.url ? live.detached(scratch.url) : live.detached(undefined, { pool: { max: 1 } });
  const name = `quarry_scratch_${randomBytes(6).toString("hex")}`;
  const models = historicalModels(state, database);
  const build = async () => {
    for (const statement of scratch.enter(name)) await database.execute(raw(statement));
    await database.createAll();
    return readCatalog(database);
  };
  try {
    if (!scratch.rollback) {
      try {
        return await build();
      } finally {
        for (const statement of scratch.leave(name)) await database.execute(raw(statement));
      }
    }
    let catalog: Catalog | undefined;
    await database
      .transaction(async () => {
        catalog = await build();
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    return catalog!;
  } finally {
    models.release();
    await database.disconnect();
  }
}

/**
 * Compares the live schema of `database` with the one its applied migrations make: every column, key, index and
 * constraint added, dropped or changed by hand. The live schema is only read.
 */
export async function checkDrift(database: Database, migrations: readonly Migration[]): Promise<Drift> {
  const { state, applied } = await appliedState(database, migrations);
  const expected = await catalogOf(database, state);
  const live = await readCatalog(database, { exclude: [HISTORY_TABLE] });
  return { applied, differences: compareCatalogs(expected, live) };
}
