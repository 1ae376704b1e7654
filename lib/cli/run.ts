import { parseArgs } from "node:util";
import { OrmError } from "../errors.js";
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIO, type Command } from "./command.js";
import { commands } from "./commands.js";

const COMMON_OPTIONS = {
  config: { type: "string", description: "The config file (default: quarry.config.ts|mts|js|mjs here or above)", placeholder: "file" },
  help: { type: "boolean", short: "h", description: "Show this help" },
} as const;

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    "Usage: quarry <command> [options]",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Run `quarry <command> --help` for a command's options.",
    "Exit codes: 0 done, 1 failed (or --check found changes), 2 wrong usage.",
    "",
  ].join("\n");
}

function help(command: Command): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const flags = Object.entries(options).map(([name, option]) => {
    const short = "short" in option && option.short ? `-${option.short}, ` : "";
    const value = option.type === "string" ? ` <${option.placeholder ?? "value"}>` : "";
    return [`  ${short}--${name}${value}${"multiple" in option && option.multiple ? " (repeatable)" : ""}`, option.description] as const;
  });
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return [
    `Usage: quarry ${command.name}${command.usage ? ` ${command.usage}` : ""} [options]`,
    "",
    command.summary,
    "",
    "Options:",
    ...flags.map(([flag, description]) => `${flag.padEnd(width)}  ${description}`),
    "",
  ].join("\n");
}

/** Runs `quarry <argv>` and gives its exit code; every failure is a message on stderr, never an unhandled throw. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(overview());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr.write(`quarry: unknown command ${JSON.stringify(name)}.\n\n${overview()}`);
    return EXIT_USAGE;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options: { ...command.options, ...COMMON_OPTIONS }, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`quarry ${name}: ${(error as Error).message}\n\n${help(command)}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout.write(help(command));
    return EXIT_OK;
  }
  if (parsed.positionals.length > (command.maxPositionals ?? 0)) {
    io.stderr.write(`quarry ${name}: unexpected argument ${JSON.stringify(parsed.positionals.at(-1))}.\n\n${help(command)}`);
    return EXIT_USAGE;
  }
  try {
    const config = parsed.values.config;
    return await command.run({ values: parsed.values, positionals: parsed.positionals, config: typeof config === "string" ? config : undefined, io });
  } catch (error) {
    // Our own errors explain themselves; anything else is a bug worth its stack.
    const known = error instanceof CliError || error instanceof OrmError;
    io.stderr.write(`quarry ${name}: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
  }
}
