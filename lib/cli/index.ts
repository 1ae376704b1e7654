// "quarry/cli": the config a project writes, and what other tools reuse to load it and run commands.
export { defineConfig, loadProject, findConfigFile, type QuarryConfig, type Project } from "./config.js";
export { runCli } from "./run.js";
export { CliError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, type Command, type CliIO, type Invocation } from "./command.js";
