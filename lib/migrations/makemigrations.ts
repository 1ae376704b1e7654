import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelMeta } from "../model/meta.js";
import { detectChanges } from "./autodetector.js";
import { MigrationGraph } from "./graph.js";
import { loadMigrations, MIGRATION_FILE } from "./loader.js";
import type { Operation } from "./operations.js";
import type { Questioner } from "./questioner.js";
import { stateFromModels } from "./state.js";
import { migrationName, migrationSource } from "./writer.js";

export interface MakeMigrationsOptions {
  readonly folder: string;
  readonly models: readonly ModelMeta[];
  readonly questioner: Questioner;
  /** The file's extension: "ts" for a TypeScript project. */
  readonly extension: string;
  readonly name?: string | undefined;
  readonly empty?: boolean;
  /** Write the migration that joins two branches' leaves. */
  readonly merge?: boolean;
  /** Work it out, write nothing. */
  readonly dryRun?: boolean;
}

export interface MadeMigration {
  readonly name: string;
  readonly file: string;
  readonly source: string;
  readonly operations: readonly Operation[];
  readonly written: boolean;
}

/**
 * The migration that takes the recorded state (replayed from the migration files, never read from a database)
 * to the models' state; undefined when there is no change (or, with `merge`, no conflict).
 */
export async function makeMigrations(options: MakeMigrationsOptions): Promise<MadeMigration | undefined> {
  const graph = new MigrationGraph(await loadMigrations(options.folder));
  let operations: Operation[] = [];
  if (options.merge) {
    if (graph.leaves().length < 2) return undefined;
  } else {
    const conflict = graph.conflict();
    if (conflict) throw conflict;
    if (!options.empty) {
      operations = await detectChanges(graph.stateAfter(new Set(graph.nodes.keys())), stateFromModels(options.models), options.questioner);
      if (operations.length === 0) return undefined;
    }
  }
  let existing: string[] = [];
  try {
    existing = readdirSync(options.folder).filter((file) => MIGRATION_FILE.test(file));
  } catch {
    // no folder yet: the first migration makes it
  }
  const name = migrationName(existing, operations, options.name ?? (options.merge ? `merge_${graph.leaves().map((leaf) => leaf.slice(0, 4)).join("_")}` : undefined));
  const source = migrationSource(graph.leaves(), operations);
  const file = join(options.folder, `${name}.${options.extension}`);
  if (!options.dryRun) {
    mkdirSync(options.folder, { recursive: true });
    writeFileSync(file, source);
  }
  return { name, file, source, operations, written: !options.dryRun };
}
