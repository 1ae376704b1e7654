import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { importModule } from "./import-module.js";
import { MigrationError } from "./errors.js";
import type { Migration, MigrationDefinition } from "./migration.js";

export const MIGRATION_FILE = /^(\d{4}_\w+)\.(ts|mts|js|mjs)$/;

/** The migration files of `folder` (none when it does not exist), loaded, with their checksums. */
export async function loadMigrations(folder: string): Promise<Migration[]> {
  let files: string[];
  try {
    files = readdirSync(folder).filter((file) => MIGRATION_FILE.test(file)).sort();
  } catch {
    return [];
  }
  const migrations: Migration[] = [];
  for (const file of files) {
    const path = join(folder, file);
    const name = MIGRATION_FILE.exec(file)![1]!;
    let definition: MigrationDefinition | undefined;
    try {
      definition = (await importModule(path)).default as MigrationDefinition | undefined;
    } catch (error) {
      throw new MigrationError(`Could not load the migration ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (!definition || !Array.isArray(definition.operations) || !Array.isArray(definition.dependencies)) {
      throw new MigrationError(`${path} must export default migration({ dependencies: [...], operations: [...] })`);
    }
    const checksum = createHash("sha256").update(readFileSync(path, "utf8").replace(/\r\n/g, "\n")).digest("hex");
    migrations.push({ ...definition, name, file: path, checksum });
  }
  return migrations;
}
