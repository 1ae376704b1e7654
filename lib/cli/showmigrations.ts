import { MigrationGraph } from "../migrations/graph.js";
import { loadMigrations } from "../migrations/loader.js";
import { Recorder, type AppliedMigration } from "../migrations/recorder.js";
import { EXIT_OK, type Command } from "./command.js";
import { loadProject } from "./config.js";

export const showmigrationsCommand: Command = {
  name: "showmigrations",
  summary: "List the migrations, applied [X] and pending [ ]",
  options: { json: { type: "boolean", description: "Print them as JSON" } },
  async run({ io, config, values }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const graph = new MigrationGraph(await loadMigrations(project.migrations));
    const database = project.database.detached();
    const recorder = new Recorder(database);
    let applied = new Map<string, AppliedMigration>();
    try {
      applied = await recorder.applied();
    } catch {
      // no history table yet: nothing applied
    } finally {
      await database.disconnect();
    }
    const rows = graph.order.map((migration) => {
      const record = applied.get(migration.name);
      return { name: migration.name, applied: record !== undefined && record.progress === null, progress: record?.progress ?? null, operations: migration.operations.length, appliedAt: record?.appliedAt ?? null };
    });
    if (values.json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else if (rows.length === 0) io.stdout.write(`No migrations in ${project.migrations}\n`);
    else {
      for (const row of rows) {
        const mark = row.applied ? "[X]" : row.progress !== null ? "[~]" : "[ ]";
        const note = row.progress !== null ? ` (${row.progress} of ${row.operations} operations applied)` : "";
        io.stdout.write(`${mark} ${row.name}${note}\n`);
      }
    }
    return EXIT_OK;
  },
};
