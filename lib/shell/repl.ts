import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import repl, { type REPLServer } from "node:repl";
import { PassThrough } from "node:stream";
import { inspect } from "node:util";
import type { Database, QueryEvent } from "../database.js";
import * as orm from "../index.js";
import type { ModelMeta } from "../model/meta.js";

export interface ShellOptions {
  readonly database: Database;
  readonly models: readonly ModelMeta[];
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where the history is kept between sessions (a terminal's only). */
  readonly historyFile?: string;
}

/** The history file: QUARRY_HISTORY, or ~/.quarry_history. */
export function defaultHistoryFile(env: Readonly<Record<string, string | undefined>>): string {
  return env.QUARRY_HISTORY ?? join(homedir(), ".quarry_history");
}

/** What the shell has in scope by name: every model, `orm`, and `database`. */
export function shellScope(database: Database, models: readonly ModelMeta[]): Record<string, unknown> {
  const scope: Record<string, unknown> = { orm, database };
  for (const meta of models) scope[meta.name] = meta.model;
  return scope;
}

/** How the shell prints a result: as Node's REPL does (instances show their loaded fields). */
export function displayText(value: unknown, colors = false): string {
  return inspect(value, { colors, depth: 4 });
}

const FILTER_CALL = /\b([A-Za-z_$][\w$]*)\.objects(?:\.[\w$]+\([^()]*\))*\.(?:filter|exclude|get|getOrCreate|updateOrCreate|create|update)\(\{(?:[^{}]*,)?\s*([\w$]*)$/;

/**
 * Completions of a line: inside `Model.objects.filter({ ...` the model's field and relation names (each with and
 * without `__`), or undefined to leave the line to Node's own completer (which knows properties and methods).
 */
export function fieldCompletions(line: string, models: readonly ModelMeta[]): [string[], string] | undefined {
  const match = FILTER_CALL.exec(line);
  const meta = match && models.find((candidate) => candidate.name === match[1]);
  if (!match || !meta) return undefined;
  const partial = match[2]!;
  const names = [...new Set(["pk", ...meta.fields.map((field) => field.name), ...meta.relations.keys()])];
  return [names.filter((name) => name.startsWith(partial)).sort(), partial];
}

/**
 * Starts the REPL: top-level await, the models and `orm` in scope, instances printed in full, `.sql` to print
 * each statement with its duration, tab completion of field names inside filter(), the history kept in a file.
 * Resolves when the session ends (`.exit`, Ctrl-D, or the end of piped input), after the database disconnected.
 */
export function startShell(options: ShellOptions): Promise<void> {
  const { database, models, input, output } = options;
  const terminal = output.isTTY === true && input.isTTY === true;
  const feed = terminal ? undefined : new PassThrough();
  const server: REPLServer = repl.start({
    prompt: "quarry> ",
    input: feed ?? input,
    output,
    terminal,
    useColors: terminal,
    writer: (value) => displayText(value, terminal),
    ignoreUndefined: true,
  });
  Object.assign(server.context, shellScope(database, models));
  const nodeCompleter = server.completer.bind(server);
  (server as { completer: REPLServer["completer"] }).completer = ((line: string, callback: (error?: Error | null, result?: [string[], string]) => void) => {
    const fields = fieldCompletions(line, models);
    if (fields) callback(null, fields);
    else nodeCompleter(line, callback);
  }) as REPLServer["completer"];

  let printing: ((event: QueryEvent) => void) | undefined;
  server.defineCommand("sql", {
    help: "Print every statement sent, with its duration (toggle)",
    action() {
      if (printing) {
        database.off("query", printing);
        printing = undefined;
        output.write("Statements are no longer printed.\n");
      } else {
        printing = (event) => output.write(`-- ${event.durationMs.toFixed(1)} ms: ${event.sql}${event.values.length ? `  ${inspect(event.values)}` : ""}\n`);
        database.on("query", printing);
        output.write("Statements are printed with their duration; .sql again to stop.\n");
      }
      this.displayPrompt();
    },
  });
  if (terminal && options.historyFile) {
    server.setupHistory(options.historyFile, (error) => {
      if (error) output.write(`History is not kept: ${error.message}\n`);
    });
  }
  if (feed) feedLines(server, input, feed);
  return new Promise((resolve, reject) => {
    server.on("exit", () => {
      database.disconnect().then(resolve, reject);
    });
  });
}

/**
 * Hands piped input to the REPL a line at a time, each once the one before has finished: Node's REPL reads a
 * pipe ahead, so `const n = await ...` and a next line using `n` would otherwise run before the first resolves.
 * The REPL shows its prompt when a line is done (evaluated, awaited and printed, or a command run).
 */
function feedLines(server: REPLServer, input: NodeJS.ReadableStream, feed: PassThrough): void {
  let lineDone: (() => void) | undefined;
  const displayPrompt = server.displayPrompt.bind(server);
  server.displayPrompt = (preserveCursor?: boolean) => {
    displayPrompt(preserveCursor);
    lineDone?.();
  };
  let closed = false;
  server.on("exit", () => (closed = true));
  void (async () => {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (closed) break;
      await new Promise<void>((resolve) => {
        lineDone = resolve;
        feed.write(`${line}\n`);
      });
    }
    feed.end();
  })();
}

/**
 * Evaluates `code` with top-level await and the shell's scope, for scripts (`quarry shell -e`): an expression's
 * value is returned, or the value of a `return` in statements.
 */
export async function evaluate(code: string, database: Database, models: readonly ModelMeta[]): Promise<unknown> {
  const scope = shellScope(database, models);
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
  let body: (...values: unknown[]) => Promise<unknown>;
  try {
    body = new AsyncFunction(...Object.keys(scope), `return (${code}\n);`);
  } catch {
    body = new AsyncFunction(...Object.keys(scope), code);
  }
  return body(...Object.values(scope));
}
