import type { Command } from "./command.js";
import { configCommand } from "./config-command.js";
import { dbshellCommand } from "./dbshell-command.js";
import { diffCommand } from "./diff-command.js";
import { dumpdataCommand } from "./dumpdata-command.js";
import { inspectdbCommand } from "./inspectdb-command.js";
import { loaddataCommand } from "./loaddata-command.js";
import { shellCommand } from "./shell-command.js";
import { makemigrationsCommand } from "./makemigrations.js";
import { migrateCommand } from "./migrate.js";
import { showmigrationsCommand } from "./showmigrations.js";
import { sqlmigrateCommand } from "./sqlmigrate.js";
import { studioCommand } from "./studio.js";

/** Every `quarry` command; a new one is a file in lib/cli and a line here. */
export const commands: readonly Command[] = [
  configCommand,
  inspectdbCommand,
  diffCommand,
  dumpdataCommand,
  loaddataCommand,
  shellCommand,
  dbshellCommand,
  makemigrationsCommand,
  migrateCommand,
  sqlmigrateCommand,
  showmigrationsCommand,
  studioCommand,
];
