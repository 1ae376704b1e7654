import { createInterface } from "node:readline";
import { MigrationError } from "./errors.js";
import type { FieldState } from "./state.js";

/** The questions a diff cannot answer by itself: renames and one-off defaults. */
export interface Questioner {
  /** Whether `Model.oldName` became `Model.newName` (for models: `field` undefined). */
  askRename(model: string, oldName: string, newName: string, field: boolean): Promise<boolean>;
  /** The value rows already there get for a new NOT NULL field without a default. */
  askFill(model: string, name: string, field: FieldState): Promise<unknown>;
}

/** `--rename Track.name=title` (a field) or `--rename Track=Song` (a model), parsed. */
export function parseRenames(answers: readonly string[]): Map<string, string> {
  const renames = new Map<string, string>();
  for (const answer of answers) {
    const match = /^(\w+(?:\.\w+)?)=(\w+)$/.exec(answer);
    if (!match) throw new MigrationError(`--rename takes Model.field=newField or Model=NewModel, got ${JSON.stringify(answer)}`);
    renames.set(match[1]!, match[2]!);
  }
  return renames;
}

/** Answers from flags only: a question the flags leave open fails, naming the candidates and the flag that answers them. */
export class FlagQuestioner implements Questioner {
  constructor(readonly renames: ReadonlyMap<string, string>) {}

  async askRename(model: string, oldName: string, newName: string, field: boolean): Promise<boolean> {
    const key = field ? `${model}.${oldName}` : oldName;
    if (this.renames.has(key)) return this.renames.get(key) === newName;
    const flag = field ? `--rename ${model}.${oldName}=${newName}` : `--rename ${oldName}=${newName}`;
    const what = field ? `${model}.${oldName} to ${model}.${newName}` : `the model ${oldName} to ${newName}`;
    throw new MigrationError(
      `Did you rename ${what}? makemigrations cannot guess, and there is no terminal to ask at. ` +
        `Answer with ${flag} (a rename, data kept), or --rename ${field ? `${model}.${oldName}` : oldName}=- for a removal and an addition (data lost).`,
    );
  }

  async askFill(model: string, name: string, _field: FieldState): Promise<unknown> {
    throw new MigrationError(
      `${model}.${name} is a new NOT NULL field without a default, and the table may hold rows: give it a default in the model ` +
        `(or allowNull: true), or run makemigrations at a terminal to give the rows already there a value.`,
    );
  }
}

/** Asks at a terminal (or on stdin, with --interactive); flags still answer what they cover. */
export class TerminalQuestioner extends FlagQuestioner {
  readonly #lines: AsyncIterator<string>;

  constructor(
    renames: ReadonlyMap<string, string>,
    input: NodeJS.ReadableStream,
    private readonly output: { write(text: string): unknown },
  ) {
    super(renames);
    this.#lines = createInterface({ input, terminal: false })[Symbol.asyncIterator]();
  }

  async #ask(question: string): Promise<string> {
    this.output.write(question);
    const line = await this.#lines.next();
    if (line.done) throw new MigrationError(`No answer to: ${question.trim()}`);
    return line.value.trim();
  }

  override async askRename(model: string, oldName: string, newName: string, field: boolean): Promise<boolean> {
    const key = field ? `${model}.${oldName}` : oldName;
    if (this.renames.has(key)) return this.renames.get(key) === newName;
    const what = field ? `${model}.${oldName} to ${model}.${newName}` : `the model ${oldName} to ${newName}`;
    return /^y(es)?$/i.test(await this.#ask(`Did you rename ${what}? [y/N] `));
  }

  override async askFill(model: string, name: string, field: FieldState): Promise<unknown> {
    const answer = await this.#ask(`${model}.${name} is a new NOT NULL ${field.type} without a default. The value for rows already there (as JSON, e.g. 0 or "none"): `);
    try {
      return JSON.parse(answer);
    } catch {
      throw new MigrationError(`${JSON.stringify(answer)} is not a JSON value`);
    }
  }
}
