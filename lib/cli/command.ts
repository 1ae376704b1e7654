import type { ParseArgsConfig } from "node:util";
import { OrmError } from "../errors.js";

/** Exit codes scripts can trust: 0 done, 1 failed (or `--check` found changes), 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Where a command reads and writes: the process's streams in `quarry`, buffers in tests. */
export interface CliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type CommandOptions = NonNullable<ParseArgsConfig["options"]>;

/** What a command receives: its parsed flags and positionals, the config path given with --config, and the IO. */
export interface Invocation {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
  readonly config: string | undefined;
  readonly io: CliIO;
}

/** One `quarry <name>` command: a file in lib/cli and a line in commands.ts. */
export interface Command {
  readonly name: string;
  /** One line for `quarry --help`. */
  readonly summary: string;
  /** The positionals after the name, as `--help` shows them ("[target]"). */
  readonly usage?: string;
  /** Its flags (--config and --help are every command's); each with a `description` for --help. */
  readonly options: Readonly<Record<string, CommandOptions[string] & { description: string; placeholder?: string }>>;
  readonly maxPositionals?: number;
  run(invocation: Invocation): Promise<number>;
}

/** A failure the command explains itself: its message goes to stderr as it is, without a stack. */
export class CliError extends OrmError {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
