import type { Command } from "./command.js";
import { configCommand } from "./config-command.js";
import { inspectdbCommand } from "./inspectdb-command.js";
import { shellCommand } from "./shell-command.js";

/** Every `quarry` command; a new one is a file in lib/cli and a line here. */
export const commands: readonly Command[] = [
  configCommand,
  inspectdbCommand,
  shellCommand,
];
