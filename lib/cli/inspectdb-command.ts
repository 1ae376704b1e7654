import { writeFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { META } from "../model/instance.js";
import { importModule } from "../migrations/import-module.js";
import { loadMigrations } from "../migrations/loader.js";
import { HISTORY_TABLE } from "../migrations/recorder.js";
import { makeMigrations } from "../migrations/makemigrations.js";
import { migrate } from "../migrations/executor.js";
import { FlagQuestioner } from "../migrations/questioner.js";
import { readCatalog } from "../schema/catalog.js";
import { modelsModule } from "../schema/inspect.js";
import type { DatabaseURL } from "../url.js";
import { CliError, EXIT_OK, EXIT_USAGE, type Command } from "./command.js";
import { isModelClass, loadProject, type Project } from "./config.js";

/** The URL the generated module falls back on: the password left out (QUARRY_DATABASE_URL gives it at run time). */
function urlWithoutPassword(url: DatabaseURL): string {
  return String(url).replace(/:\*\*\*@/, "@");
}

/** `quarry inspectdb`: models for the tables of an existing database, from its catalog. */
export const inspectdbCommand: Command = {
  name: "inspectdb",
  summary: "Write models (Model.define calls) for the tables of an existing database",
  options: {
    tables: { type: "string", description: "Only these tables, comma-separated", placeholder: "a,b" },
    out: { type: "string", description: "Write the module to this file instead of stdout", placeholder: "file.ts" },
    "initial-migration": {
      type: "boolean",
      description: "Also write the first migration of the written models and record it as applied (the tables exist already), so the database joins the migrations flow",
    },
  },
  async run({ io, config, values }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const { database } = project;
    try {
      const tables = typeof values.tables === "string" ? values.tables.split(",").map((name) => name.trim()).filter(Boolean) : undefined;
      // quarry's own history table is no model of the project's.
      const catalog = await readCatalog(database, { tables, exclude: [HISTORY_TABLE] });
      const missing = tables?.filter((name) => !catalog.tables.some((table) => table.name === name)) ?? [];
      if (missing.length > 0) {
        const known = (await readCatalog(database)).tables.map((table) => table.name);
        throw new CliError(`No table ${missing.map((name) => JSON.stringify(name)).join(", ")} in ${database.url}; it has: ${known.join(", ") || "(no tables)"}`, EXIT_USAGE);
      }
      const initial = values["initial-migration"] === true;
      if (initial && typeof values.out !== "string") throw new CliError("--initial-migration needs --out: the migration is made from the models written there", EXIT_USAGE);
      const source = modelsModule(catalog, { url: urlWithoutPassword(database.url) });
      if (typeof values.out === "string") {
        const file = resolve(io.cwd, values.out);
        writeFileSync(file, source);
        io.stderr.write(`Wrote models of ${catalog.tables.length} tables to ${file}\n`);
        if (initial) await initialMigration(project, file, (line) => io.stderr.write(`${line}\n`));
      } else io.stdout.write(source);
      return EXIT_OK;
    } finally {
      await database.disconnect();
    }
  },
};

/**
 * The first migration of the models just written, recorded as applied without running it (`migrate --fake`): the
 * database already has their tables, and from here on makemigrations and migrate carry its changes.
 */
async function initialMigration(project: Project, modelsFile: string, log: (line: string) => void): Promise<void> {
  const exported = await importModule(modelsFile);
  const models = Object.values(exported).filter(isModelClass).map((model) => model[META]);
  const made = await makeMigrations({
    folder: project.migrations,
    models,
    questioner: new FlagQuestioner(new Map()),
    extension: /^\.m?ts$/.test(extname(modelsFile)) ? "ts" : "js",
    name: "initial",
  });
  if (!made) {
    log("The migrations already record these models: no initial migration written.");
    return;
  }
  log(`Wrote ${made.file}`);
  const target = project.database.detached();
  try {
    await migrate(target, await loadMigrations(project.migrations), { fake: true, log });
  } finally {
    await target.disconnect();
  }
}
