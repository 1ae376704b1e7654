import { defaultHistoryFile, displayText, evaluate, startShell } from "../shell/repl.js";
import { EXIT_OK, type Command } from "./command.js";
import { loadProject } from "./config.js";
import { modelDatabase } from "./model-database.js";

/** `quarry shell`: a REPL with the project's database connected and its models in scope; `-e` for scripts. */
export const shellCommand: Command = {
  name: "shell",
  summary: "Open a REPL with top-level await, the database connected and every model in scope (-e to evaluate and print)",
  options: {
    eval: { type: "string", short: "e", description: "Evaluate this code, print its value and exit", placeholder: "code" },
  },
  async run({ io, config, values }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const { models } = project;
    const { database, disconnect } = modelDatabase(project);
    if (typeof values.eval === "string") {
      try {
        const value = await evaluate(values.eval, database, models);
        if (value !== undefined) io.stdout.write(`${typeof value === "string" ? value : displayText(value)}\n`);
      } finally {
        await disconnect();
      }
      return EXIT_OK;
    }
    const output = io.stdout as NodeJS.WritableStream & { isTTY?: boolean };
    try {
      await startShell({ database, models, input: io.stdin, output, historyFile: defaultHistoryFile(io.env) });
    } finally {
      await disconnect();
    }
    return EXIT_OK;
  },
};
