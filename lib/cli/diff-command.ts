import { loadMigrations } from "../migrations/loader.js";
import { checkDrift } from "../schema/drift.js";
import { EXIT_FAILURE, EXIT_OK, type Command } from "./command.js";
import { loadProject } from "./config.js";

/** `quarry diff`: the live schema against the one the applied migrations make; exit 1 when they differ. Read-only. */
export const diffCommand: Command = {
  name: "diff",
  summary: "List how the live schema differs from the one the applied migrations make (exit 1 when it does); read-only",
  options: { json: { type: "boolean", description: "Print the differences as JSON" } },
  async run({ io, config, values }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const migrations = await loadMigrations(project.migrations);
    const database = project.database.detached();
    try {
      const { applied, differences } = await checkDrift(database, migrations);
      if (values.json) io.stdout.write(`${JSON.stringify({ applied, differences }, null, 2)}\n`);
      else if (differences.length === 0) {
        io.stdout.write(`No drift: ${database.url} is the schema its ${applied.length} applied migrations make.\n`);
      } else {
        io.stdout.write(`${database.url} differs from the schema its ${applied.length} applied migrations make:\n`);
        for (const difference of differences) io.stdout.write(`  ${difference.description}\n`);
      }
      return differences.length === 0 ? EXIT_OK : EXIT_FAILURE;
    } finally {
      await database.disconnect();
    }
  },
};
