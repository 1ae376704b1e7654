import { spawn } from "node:child_process";
import { CliError, type Command } from "./command.js";
import { loadProject } from "./config.js";

/** `quarry dbshell`: the database's own client (psql, mariadb, sqlite3) on the configured URL. */
export const dbshellCommand: Command = {
  name: "dbshell",
  summary: "Open the database's own client (psql, mariadb, sqlite3) on the configured database",
  options: {},
  async run({ io, config }) {
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const { command, args, env } = project.database.dialect.client(project.database.url);
    return new Promise<number>((resolve, reject) => {
      const child = spawn(command, args, { stdio: "inherit", cwd: io.cwd, env: { ...io.env, ...env } });
      child.on("error", (error) =>
        reject(new CliError(`Cannot run ${command}: ${error.message}; install the database's client (it must be on PATH)`, undefined, { cause: error })),
      );
      child.on("exit", (code) => resolve(code ?? 1));
    });
  },
};
