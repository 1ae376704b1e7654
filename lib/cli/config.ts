import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { Database } from "../database.js";
import { importModule } from "../migrations/import-module.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import { CliError } from "./command.js";

/** What `quarry.config.ts` exports by default. */
export interface QuarryConfig {
  /** The models' Database, or a database URL. `QUARRY_DATABASE_URL` overrides either. */
  database: Database | string;
  /** Modules that define the models, relative to the config file; their exported model classes are the project's. */
  models?: string | readonly string[];
  /** Where migrations live, relative to the config file. Default "./migrations". */
  migrations?: string;
}

/** Types a config file: `export default defineConfig({ database, models: ["./models.ts"] })`. */
export function defineConfig(config: QuarryConfig): QuarryConfig {
  return config;
}

/** A loaded project: its config file, the database to run statements on, its models, its migrations folder. */
export interface Project {
  readonly configFile: string;
  /** The config file's folder: relative paths in the config start here. */
  readonly root: string;
  /** The database statements run on: the config's, or a new one at QUARRY_DATABASE_URL. */
  readonly database: Database;
  /** The models the config's modules define (and those registered on its Database), in definition order. */
  readonly models: readonly ModelMeta[];
  readonly migrations: string;
}

export const CONFIG_NAMES = ["quarry.config.ts", "quarry.config.mts", "quarry.config.js", "quarry.config.mjs"] as const;

/** The nearest quarry.config.* in `directory` or above it. */
export function findConfigFile(directory: string): string | undefined {
  for (let current = resolve(directory); ; current = dirname(current)) {
    for (const name of CONFIG_NAMES) {
      const candidate = join(current, name);
      if (existsSync(candidate)) return candidate;
    }
    if (dirname(current) === current) return undefined;
  }
}

export function isModelClass(value: unknown): value is { [META]: ModelMeta } {
  return typeof value === "function" && (value as { [META]?: unknown })[META] !== undefined;
}

/**
 * Finds and loads the project's config (`configPath`, or quarry.config.* upward from `cwd`), imports its
 * model modules, and opens nothing yet. Fails with CliError saying what is missing.
 */
export async function loadProject(options: { cwd: string; configPath?: string | undefined; env?: Readonly<Record<string, string | undefined>> }): Promise<Project> {
  const configFile = options.configPath ? resolve(options.cwd, options.configPath) : findConfigFile(options.cwd);
  if (!configFile) {
    throw new CliError(
      `No quarry config found in ${options.cwd} or above it: create quarry.config.ts (or .mts, .js, .mjs), e.g.\n` +
        `  import { database } from "./models.js";\n  export default { database, models: ["./models.js"], migrations: "./migrations" };\n` +
        `or pass --config <file>.`,
    );
  }
  if (!existsSync(configFile)) throw new CliError(`The config file ${configFile} does not exist.`);
  const root = dirname(configFile);
  let config: QuarryConfig;
  try {
    config = (await importModule(configFile)).default as QuarryConfig;
  } catch (error) {
    throw new CliError(`Could not load ${configFile}: ${(error as Error).message}`, undefined, { cause: error });
  }
  if (!config || typeof config !== "object") throw new CliError(`${configFile} must export default { database, models, migrations }.`);
  const { database } = config;
  if (typeof database === "object" && !(database instanceof Database) && typeof (database as { createAll?: unknown })?.createAll === "function") {
    // The dual-package hazard: CommonJS code gets quarry's CommonJS build, whose classes are not the command's.
    throw new CliError(
      `${configFile} was loaded as CommonJS, so its Database comes from quarry's CommonJS build, which the quarry command cannot use: ` +
        `add "type": "module" to the project's package.json (or name the config and model modules .mts / .mjs).`,
    );
  }
  if (!(database instanceof Database) && typeof database !== "string") {
    throw new CliError(`${configFile}: "database" must be a Database or a database URL, got ${database === undefined ? "nothing" : typeof database}.`);
  }
  const models = new Set<ModelMeta>();
  for (const modulePath of typeof config.models === "string" ? [config.models] : (config.models ?? [])) {
    const file = isAbsolute(modulePath) ? modulePath : resolve(root, modulePath);
    let exported: Record<string, unknown>;
    try {
      exported = await importModule(file);
    } catch (error) {
      throw new CliError(`Could not load the models module ${file}: ${(error as Error).message}`, undefined, { cause: error });
    }
    for (const value of Object.values(exported)) if (isModelClass(value)) models.add(value[META]);
  }
  if (database instanceof Database) for (const meta of database.models) models.add(meta);
  const override = options.env?.QUARRY_DATABASE_URL;
  let target: Database;
  try {
    target = override ? new Database(override) : database instanceof Database ? database : new Database(database);
  } catch (error) {
    throw new CliError(`${override ? "QUARRY_DATABASE_URL" : configFile}: ${(error as Error).message}`, undefined, { cause: error });
  }
  return { configFile, root, database: target, models: [...models], migrations: resolve(root, config.migrations ?? "./migrations") };
}
