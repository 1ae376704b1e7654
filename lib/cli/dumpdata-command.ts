import { createWriteStream } from "node:fs";
import { resolve } from "node:path";
import { once } from "node:events";
import { dumpFixture } from "../fixtures/dump.js";
import { CliError, EXIT_OK, EXIT_USAGE, type Command } from "./command.js";
import { loadProject } from "./config.js";
import { modelDatabase } from "./model-database.js";

/** `quarry dumpdata [Model ...] [--out file.json]`: the rows of the project's models as a fixture. */
export const dumpdataCommand: Command = {
  name: "dumpdata",
  summary: "Write the rows of every model (or those named) as a JSON fixture, keys kept",
  usage: "[Model ...]",
  maxPositionals: Number.POSITIVE_INFINITY,
  options: { out: { type: "string", description: "Write to this file instead of stdout", placeholder: "file.json" } },
  async run({ io, config, values, positionals }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const { models } = project;
    const { disconnect } = modelDatabase(project);
    try {
      const unknown = positionals.filter((name) => !models.some((meta) => meta.name === name));
      if (unknown.length > 0) {
        throw new CliError(`No model ${unknown.map((name) => JSON.stringify(name)).join(", ")}; the models are: ${models.map((meta) => meta.name).join(", ")}`, EXIT_USAGE);
      }
      const chosen = positionals.length > 0 ? models.filter((meta) => positionals.includes(meta.name)) : models;
      if (typeof values.out !== "string") {
        await dumpFixture(chosen, (text) => io.stdout.write(text));
        return EXIT_OK;
      }
      const file = resolve(io.cwd, values.out);
      const stream = createWriteStream(file);
      const counts = await dumpFixture(chosen, (text) => stream.write(text));
      stream.end();
      await once(stream, "finish");
      const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
      io.stderr.write(`Wrote ${total} rows of ${counts.size} models to ${file}\n`);
      return EXIT_OK;
    } finally {
      await disconnect();
    }
  },
};
