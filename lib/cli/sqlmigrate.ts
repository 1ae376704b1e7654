import { runMigration } from "../migrations/executor.js";
import { MigrationGraph } from "../migrations/graph.js";
import { loadMigrations } from "../migrations/loader.js";
import { SchemaEditor } from "../migrations/schema-editor.js";
import { CliError, EXIT_OK, EXIT_USAGE, type Command } from "./command.js";
import { loadProject } from "./config.js";

export const sqlmigrateCommand: Command = {
  name: "sqlmigrate",
  summary: "Print the SQL of a migration for the configured database",
  usage: "<migration>",
  maxPositionals: 1,
  options: { backwards: { type: "boolean", description: "The SQL that reverses it" } },
  async run({ io, config, values, positionals }) {
    if (!positionals[0]) throw new CliError("Which migration? e.g. quarry sqlmigrate 0003", EXIT_USAGE);
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const graph = new MigrationGraph(await loadMigrations(project.migrations));
    const migration = graph.nodes.get(graph.resolve(positionals[0]))!;
    const ancestors = graph.ancestors(migration.name);
    ancestors.delete(migration.name);
    const database = project.database.detached();
    await runMigration(migration, values.backwards ? "backwards" : "forwards", graph.stateAfter(ancestors), {
      editor: new SchemaEditor(database.dialect),
      database,
      dryRun: true,
      run: async (statements) => {
        for (const statement of statements) io.stdout.write(`${statement};\n`);
      },
    });
    return EXIT_OK;
  },
};
