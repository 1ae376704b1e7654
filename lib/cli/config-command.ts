import type { Command } from "./command.js";
import { EXIT_OK } from "./command.js";
import { loadProject } from "./config.js";

/** `quarry config`: which config file, database, models and migrations folder the other commands will use. */
export const configCommand: Command = {
  name: "config",
  summary: "Show the config file, database, models and migrations folder quarry finds",
  options: { json: { type: "boolean", description: "Print it as JSON" } },
  async run({ io, config, values }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const summary = {
      config: project.configFile,
      database: String(project.database.url),
      dialect: project.database.url.dialect,
      models: project.models.map((meta) => meta.name),
      migrations: project.migrations,
    };
    if (values.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      io.stdout.write(
        `config:     ${summary.config}\ndatabase:   ${summary.database}\nmodels:     ${summary.models.join(", ") || "(none)"}\nmigrations: ${summary.migrations}\n`,
      );
    }
    return EXIT_OK;
  },
};
