import { extname, relative } from "node:path";
import { makeMigrations } from "../migrations/makemigrations.js";
import { FlagQuestioner, parseRenames, TerminalQuestioner } from "../migrations/questioner.js";
import { EXIT_FAILURE, EXIT_OK, type Command } from "./command.js";
import { loadProject } from "./config.js";

export const makemigrationsCommand: Command = {
  name: "makemigrations",
  summary: "Write the migration that brings the migrations up to the models",
  options: {
    name: { type: "string", description: "The migration's name (after its number)", placeholder: "name" },
    empty: { type: "boolean", description: "Write a migration with no operations, for RunSQL / RunCode" },
    check: { type: "boolean", description: "Write nothing; exit 1 if the models have changes no migration records" },
    "dry-run": { type: "boolean", description: "Print the migration instead of writing it" },
    merge: { type: "boolean", description: "Write the migration that joins conflicting branches" },
    rename: { type: "string", multiple: true, description: "Answer a rename question: Model.field=newField or Model=NewModel", placeholder: "answer" },
    interactive: { type: "boolean", description: "Ask questions on stdin even when it is not a terminal" },
  },
  async run({ io, config, values }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const renames = parseRenames((values.rename as string[] | undefined) ?? []);
    const questioner = io.stdin.isTTY || values.interactive ? new TerminalQuestioner(renames, io.stdin, io.stderr) : new FlagQuestioner(renames);
    const check = values.check === true;
    const made = await makeMigrations({
      folder: project.migrations,
      models: project.models,
      questioner,
      extension: /^\.m?ts$/.test(extname(project.configFile)) ? "ts" : "js",
      name: values.name as string | undefined,
      empty: values.empty === true,
      merge: values.merge === true,
      dryRun: check || values["dry-run"] === true,
    });
    if (!made) {
      io.stdout.write(values.merge ? "No conflicting migrations to merge.\n" : "No changes detected.\n");
      return EXIT_OK;
    }
    const summary = made.operations.map((operation) => `  - ${operation.describe()}\n`).join("");
    if (check) {
      io.stdout.write(`The models have changes no migration records (run quarry makemigrations):\n${summary}`);
      return EXIT_FAILURE;
    }
    if (!made.written) {
      io.stdout.write(`// ${relative(io.cwd, made.file)} (not written: --dry-run)\n${made.source}`);
      return EXIT_OK;
    }
    io.stdout.write(`Wrote ${relative(io.cwd, made.file)}\n${summary}`);
    return EXIT_OK;
  },
};
