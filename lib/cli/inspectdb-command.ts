import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { readCatalog } from "../schema/catalog.js";
import { modelsModule } from "../schema/inspect.js";
import type { DatabaseURL } from "../url.js";
import { CliError, EXIT_OK, EXIT_USAGE, type Command } from "./command.js";
import { loadProject } from "./config.js";

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
  },
  async run({ io, config, values }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const { database } = project;
    try {
      const tables = typeof values.tables === "string" ? values.tables.split(",").map((name) => name.trim()).filter(Boolean) : undefined;
      const catalog = await readCatalog(database, { tables });
      const missing = tables?.filter((name) => !catalog.tables.some((table) => table.name === name)) ?? [];
      if (missing.length > 0) {
        const known = (await readCatalog(database)).tables.map((table) => table.name);
        throw new CliError(`No table ${missing.map((name) => JSON.stringify(name)).join(", ")} in ${database.url}; it has: ${known.join(", ") || "(no tables)"}`, EXIT_USAGE);
      }
      const source = modelsModule(catalog, { url: urlWithoutPassword(database.url) });
      if (typeof values.out === "string") {
        const file = resolve(io.cwd, values.out);
        writeFileSync(file, source);
        io.stderr.write(`Wrote models of ${catalog.tables.length} tables to ${file}\n`);
      } else io.stdout.write(source);
      return EXIT_OK;
    } finally {
      await database.disconnect();
    }
  },
};
