import { loadMigrations } from "../migrations/loader.js";
import { migrate } from "../migrations/executor.js";
import { EXIT_OK, type Command } from "./command.js";
import { loadProject } from "./config.js";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "Apply pending migrations, or go back to [target] (a migration, or zero)",
  usage: "[target]",
  maxPositionals: 1,
  options: {
    "dry-run": { type: "boolean", description: "Print the statements instead of running them" },
    fake: { type: "boolean", description: "Record the migrations as applied (or unapplied) without running them" },
  },
  async run({ io, config, values, positionals }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const migrations = await loadMigrations(project.migrations);
    const database = project.database.detached();
    try {
      await migrate(database, migrations, {
        target: positionals[0],
        fake: values.fake === true,
        dryRun: values["dry-run"] === true,
        log: (line) => io.stdout.write(`${line}\n`),
      });
    } finally {
      await database.disconnect();
    }
    return EXIT_OK;
  },
};
