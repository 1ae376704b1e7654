import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadFixture, parseFixture } from "../fixtures/load.js";
import { CliError, EXIT_OK, EXIT_USAGE, type Command } from "./command.js";
import { loadProject } from "./config.js";
import { modelDatabase } from "./model-database.js";

/** `quarry loaddata file.json`: a fixture's rows into the project's tables, in one transaction. */
export const loaddataCommand: Command = {
  name: "loaddata",
  summary: "Load a JSON fixture (quarry dumpdata's) in one transaction, keys kept and key generators moved past them",
  usage: "<file.json>",
  maxPositionals: 1,
  options: {},
  async run({ io, config, positionals }) {
    const [path] = positionals;
    if (!path) throw new CliError("Which fixture? quarry loaddata <file.json>", EXIT_USAGE);
    const file = resolve(io.cwd, path);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new CliError(`Cannot read the fixture ${file}: ${(error as Error).message}`, undefined, { cause: error });
    }
    const entries = parseFixture(text, file);
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const { database, disconnect } = modelDatabase(project);
    try {
      const counts = await loadFixture(database, project.models, entries);
      io.stdout.write(`Installed ${entries.length} rows of ${counts.size} models from ${file}\n`);
      return EXIT_OK;
    } finally {
      await disconnect();
    }
  },
};
