import type { Database } from "../database.js";
import type { ModelClass } from "../model/model.js";
import type { ConstraintSpec, IndexSpec } from "../model/options.js";
import { historicalModels } from "./historical.js";
import type { SchemaEditor } from "./schema-editor.js";
import { columnOf, isManyToMany, ProjectState, type FieldState, type ModelState } from "./state.js";
import { raw } from "sql-template-tag";
import { serialize } from "./serializer.js";

/** What an operation is applied with: the states around it, the DDL writer, and where statements go. */
export interface OperationContext {
  readonly editor: SchemaEditor;
  /** The project state before the operation (forwards) and after it. */
  readonly before: ProjectState;
  readonly after: ProjectState;
  /** Runs the statements (or, for sqlmigrate and --dry-run, prints them). */
  run(statements: readonly string[]): Promise<void>;
  /** The database migrations run on; RunCode's models are defined on it. */
  readonly database: Database;
  /** Statements are printed, not run: RunCode says what it would do. */
  readonly dryRun: boolean;
}

/** A field's column dropped: first its foreign key, where the database needs that (MySQL), found by name in the catalog. */
async function dropField(context: OperationContext, before: ProjectState, after: ProjectState, model: string, name: string): Promise<void> {
  const { editor, run, database, dryRun } = context;
  const lookup = editor.dialect.migrations.foreignKeyBeforeColumn;
  const state = before.model(model);
  const field = state.fields[name];
  if (lookup && field?.to && !isManyToMany(field)) {
    const column = columnOf(name, field);
    if (dryRun) await run([`-- then the foreign key on ${state.table}.${column}, by the name this query finds: ${lookup.lookup(state.table, column)}`]);
    else for (const row of await database.query(raw(lookup.lookup(state.table, column)))) await run([lookup.drop(state.table, String(row.name))]);
  }
  await run(editor.removeField(before, after, model, name));
}

/**
 * One declarative change of a migration: how it changes the project state, and its SQL forwards and backwards,
 * side by side. Backwards runs with the same states as forwards: from `after` back to `before`.
 */
export abstract class Operation {
  /** Whether backwards() can undo it. */
  get reversible(): boolean {
    return true;
  }
  abstract stateForwards(state: ProjectState): void;
  abstract forwards(context: OperationContext): Promise<void>;
  abstract backwards(context: OperationContext): Promise<void>;
  /** One line for the terminal: "Create model Track". */
  abstract describe(): string;
  /** The expression that makes it again, as a migration file spells it. */
  abstract toCode(): string;
  /** A few words for an automatic migration name. */
  abstract suggestName(): string;
  /** The operation classes its code names, which the migration file imports. */
  imports(): string[] {
    return [/^new (\w+)/.exec(this.toCode())![1]!];
  }
}

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

function call(name: string, ...args: unknown[]): string {
  return `new ${name}(${args.map((arg) => serialize(arg)).join(", ")})`;
}

function withModel(state: ProjectState, name: string, change: (model: ModelState) => ModelState): void {
  state.put(change(state.model(name)));
}

function withFields(state: ProjectState, name: string, change: (fields: [string, FieldState][]) => [string, FieldState][]): void {
  withModel(state, name, (model) => ({ ...model, fields: Object.fromEntries(change(Object.entries(model.fields))) }));
}

export class CreateModel extends Operation {
  constructor(
    readonly name: string,
    readonly fields: Readonly<Record<string, FieldState>>,
    readonly options: { readonly table: string; readonly indexes?: readonly IndexSpec[]; readonly constraints?: readonly ConstraintSpec[] },
  ) {
    super();
  }
  stateForwards(state: ProjectState): void {
    state.put({ name: this.name, table: this.options.table, fields: this.fields, ...(this.options.indexes ? { indexes: this.options.indexes } : {}), ...(this.options.constraints ? { constraints: this.options.constraints } : {}) });
  }
  forwards({ editor, after, run }: OperationContext): Promise<void> {
    return run(editor.createModel(after, this.name));
  }
  backwards({ editor, after, run }: OperationContext): Promise<void> {
    return run(editor.deleteModel(after, this.name));
  }
  describe(): string {
    return `Create model ${this.name}`;
  }
  toCode(): string {
    return call("CreateModel", this.name, this.fields, this.options);
  }
  suggestName(): string {
    return snake(this.name);
  }
}

export class DeleteModel extends Operation {
  constructor(readonly name: string) {
    super();
  }
  stateForwards(state: ProjectState): void {
    state.models.delete(this.name);
  }
  forwards({ editor, before, run }: OperationContext): Promise<void> {
    return run(editor.deleteModel(before, this.name));
  }
  backwards({ editor, before, run }: OperationContext): Promise<void> {
    return run(editor.createModel(before, this.name));
  }
  describe(): string {
    return `Delete model ${this.name}`;
  }
  toCode(): string {
    return call("DeleteModel", this.name);
  }
  suggestName(): string {
    return `delete_${snake(this.name)}`;
  }
}

/**
 * A model renamed, its table with it (when the table follows the name), the relations that name it, and the join
 * tables quarry made for the ManyToManys on either side of it (named, and their key columns, after the model).
 */
export class RenameModel extends Operation {
  constructor(
    readonly oldName: string,
    readonly newName: string,
    readonly tables: { readonly from: string; readonly to: string },
  ) {
    super();
  }
  stateForwards(state: ProjectState): void {
    const model = state.model(this.oldName);
    state.models.delete(this.oldName);
    state.put({ ...model, name: this.newName, table: this.tables.to });
    const renamed = (field: FieldState): FieldState => ({
      ...field,
      ...(field.to === this.oldName ? { to: this.newName } : {}),
      ...(field.through === this.oldName ? { through: this.newName } : {}),
    });
    for (const other of state.models.values()) {
      if (!Object.values(other.fields).some((field) => field.to === this.oldName || field.through === this.oldName)) continue;
      state.put({ ...other, fields: Object.fromEntries(Object.entries(other.fields).map(([name, field]) => [name, renamed(field)])) });
    }
  }
  forwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.renameModel(before, after, this.oldName, this.newName));
  }
  backwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.renameModel(after, before, this.newName, this.oldName));
  }
  describe(): string {
    return `Rename model ${this.oldName} to ${this.newName}`;
  }
  toCode(): string {
    return call("RenameModel", this.oldName, this.newName, this.tables);
  }
  suggestName(): string {
    return `rename_${snake(this.oldName)}_${snake(this.newName)}`;
  }
}

/** A field added; `fill` is the value the rows already there get, when the field keeps no default of its own. */
export class AddField extends Operation {
  constructor(
    readonly model: string,
    readonly name: string,
    readonly field: FieldState,
    readonly options: { readonly fill?: unknown } = {},
  ) {
    super();
  }
  stateForwards(state: ProjectState): void {
    withFields(state, this.model, (fields) => [...fields, [this.name, this.field]]);
  }
  forwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.addField(before, after, this.model, this.name, this.options.fill));
  }
  backwards(context: OperationContext): Promise<void> {
    return dropField(context, context.after, context.before, this.model, this.name);
  }
  describe(): string {
    return `Add field ${this.name} to ${this.model}`;
  }
  toCode(): string {
    return this.options.fill === undefined ? call("AddField", this.model, this.name, this.field) : call("AddField", this.model, this.name, this.field, this.options);
  }
  suggestName(): string {
    return `${snake(this.model)}_${snake(this.name)}`;
  }
}

export class RemoveField extends Operation {
  constructor(
    readonly model: string,
    readonly name: string,
  ) {
    super();
  }
  stateForwards(state: ProjectState): void {
    withFields(state, this.model, (fields) => fields.filter(([name]) => name !== this.name));
  }
  forwards(context: OperationContext): Promise<void> {
    return dropField(context, context.before, context.after, this.model, this.name);
  }
  backwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.addField(after, before, this.model, this.name));
  }
  describe(): string {
    return `Remove field ${this.name} from ${this.model}`;
  }
  toCode(): string {
    return call("RemoveField", this.model, this.name);
  }
  suggestName(): string {
    return `remove_${snake(this.model)}_${snake(this.name)}`;
  }
}

/**
 * A field changed. A ManyToMany gaining (or losing) `through` moves its pairs into the through model's table (or
 * back into a join table quarry makes); `fills` are the values, by field name, that the through model's columns
 * without a default get for the rows moved into it.
 */
export class AlterField extends Operation {
  constructor(
    readonly model: string,
    readonly name: string,
    readonly field: FieldState,
    readonly options: { readonly fills?: Readonly<Record<string, unknown>> } = {},
  ) {
    super();
  }
  stateForwards(state: ProjectState): void {
    withFields(state, this.model, (fields) => fields.map(([name, field]) => [name, name === this.name ? this.field : field]));
  }
  forwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.alterField(before, after, this.model, this.name, this.options.fills));
  }
  backwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.alterField(after, before, this.model, this.name, this.options.fills));
  }
  describe(): string {
    return `Alter field ${this.name} on ${this.model}`;
  }
  toCode(): string {
    return this.options.fills === undefined ? call("AlterField", this.model, this.name, this.field) : call("AlterField", this.model, this.name, this.field, this.options);
  }
  suggestName(): string {
    return `alter_${snake(this.model)}_${snake(this.name)}`;
  }
}

export class RenameField extends Operation {
  constructor(
    readonly model: string,
    readonly oldName: string,
    readonly newName: string,
  ) {
    super();
  }
  stateForwards(state: ProjectState): void {
    withFields(state, this.model, (fields) => fields.map(([name, field]) => [name === this.oldName ? this.newName : name, field]));
  }
  forwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.renameField(before, after, this.model, this.oldName, this.newName));
  }
  backwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.renameField(after, before, this.model, this.newName, this.oldName));
  }
  describe(): string {
    return `Rename field ${this.oldName} on ${this.model} to ${this.newName}`;
  }
  toCode(): string {
    return call("RenameField", this.model, this.oldName, this.newName);
  }
  suggestName(): string {
    return `rename_${snake(this.model)}_${snake(this.oldName)}_${snake(this.newName)}`;
  }
}

export class AddIndex extends Operation {
  constructor(
    readonly model: string,
    readonly index: IndexSpec,
  ) {
    super();
  }
  stateForwards(state: ProjectState): void {
    withModel(state, this.model, (model) => ({ ...model, indexes: [...(model.indexes ?? []), this.index] }));
  }
  forwards({ editor, after, run }: OperationContext): Promise<void> {
    return run(editor.addIndex(after, this.model, this.index));
  }
  backwards({ editor, before, run }: OperationContext): Promise<void> {
    return run(editor.removeIndex(before, this.model, this.index.name));
  }
  describe(): string {
    return `Add index ${this.index.name} on ${this.model}`;
  }
  toCode(): string {
    return call("AddIndex", this.model, this.index);
  }
  suggestName(): string {
    return snake(this.index.name);
  }
}

/** The context of an operation run the other way: its states swapped. */
const reversed = (context: OperationContext): OperationContext => ({ ...context, before: context.after, after: context.before });

export class RemoveIndex extends Operation {
  readonly #added: AddIndex;
  constructor(
    readonly model: string,
    readonly index: IndexSpec,
  ) {
    super();
    this.#added = new AddIndex(model, index);
  }
  stateForwards(state: ProjectState): void {
    withModel(state, this.model, (model) => ({ ...model, indexes: (model.indexes ?? []).filter((index) => index.name !== this.index.name) }));
  }
  // Removing is adding run backwards, and the other way round.
  forwards(context: OperationContext): Promise<void> {
    return this.#added.backwards(reversed(context));
  }
  backwards(context: OperationContext): Promise<void> {
    return this.#added.forwards(reversed(context));
  }
  describe(): string {
    return `Remove index ${this.index.name} from ${this.model}`;
  }
  toCode(): string {
    return call("RemoveIndex", this.model, this.index);
  }
  suggestName(): string {
    return `remove_${snake(this.index.name)}`;
  }
}

export class AddConstraint extends Operation {
  constructor(
    readonly model: string,
    readonly constraint: ConstraintSpec,
  ) {
    super();
  }
  stateForwards(state: ProjectState): void {
    withModel(state, this.model, (model) => ({ ...model, constraints: [...(model.constraints ?? []), this.constraint] }));
  }
  forwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.changeConstraint(before, after, this.model, this.constraint, true));
  }
  backwards({ editor, before, after, run }: OperationContext): Promise<void> {
    return run(editor.changeConstraint(after, before, this.model, this.constraint, false));
  }
  describe(): string {
    return `Add constraint ${this.constraint.name} on ${this.model}`;
  }
  toCode(): string {
    return call("AddConstraint", this.model, this.constraint);
  }
  suggestName(): string {
    return snake(this.constraint.name);
  }
}

export class RemoveConstraint extends Operation {
  readonly #added: AddConstraint;
  constructor(
    readonly model: string,
    readonly constraint: ConstraintSpec,
  ) {
    super();
    this.#added = new AddConstraint(model, constraint);
  }
  stateForwards(state: ProjectState): void {
    withModel(state, this.model, (model) => ({ ...model, constraints: (model.constraints ?? []).filter((constraint) => constraint.name !== this.constraint.name) }));
  }
  forwards(context: OperationContext): Promise<void> {
    return this.#added.backwards(reversed(context));
  }
  backwards(context: OperationContext): Promise<void> {
    return this.#added.forwards(reversed(context));
  }
  describe(): string {
    return `Remove constraint ${this.constraint.name} from ${this.model}`;
  }
  toCode(): string {
    return call("RemoveConstraint", this.model, this.constraint);
  }
  suggestName(): string {
    return `remove_${snake(this.constraint.name)}`;
  }
}

/**
 * Operations that change the migration state and run no SQL, because the schema already is what they describe:
 * a join table that migrations once recorded as a model of its own (`Article_tags`), now its ManyToMany's.
 */
export class StateOnly extends Operation {
  constructor(readonly operations: readonly Operation[]) {
    super();
  }
  stateForwards(state: ProjectState): void {
    for (const operation of this.operations) operation.stateForwards(state);
  }
  async forwards(): Promise<void> {}
  async backwards(): Promise<void> {}
  describe(): string {
    return `State only (no SQL): ${this.operations.map((operation) => operation.describe()).join("; ")}`;
  }
  toCode(): string {
    return `new StateOnly([\n  ${this.operations.map((operation) => operation.toCode().replace(/\n/g, "\n  ")).join(",\n  ")},\n])`;
  }
  suggestName(): string {
    return this.operations[0]?.suggestName() ?? "state_only";
  }
  override imports(): string[] {
    return ["StateOnly", ...this.operations.flatMap((operation) => operation.imports())];
  }
}

/** Statements of your own, and those that undo them (without, the migration cannot be reversed). */
export class RunSQL extends Operation {
  constructor(
    readonly up: string | readonly string[],
    readonly down?: string | readonly string[],
  ) {
    super();
  }
  override get reversible(): boolean {
    return this.down !== undefined;
  }
  stateForwards(): void {}
  forwards({ run }: OperationContext): Promise<void> {
    return run(typeof this.up === "string" ? [this.up] : this.up);
  }
  backwards({ run }: OperationContext): Promise<void> {
    return run(typeof this.down === "string" ? [this.down] : (this.down ?? []));
  }
  describe(): string {
    return "Run SQL";
  }
  toCode(): string {
    return this.down === undefined ? call("RunSQL", this.up) : call("RunSQL", this.up, this.down);
  }
  suggestName(): string {
    return "run_sql";
  }
}

/** What RunCode's functions receive: the database, and the models as they were at this migration. */
export interface RunCodeContext {
  readonly database: Database;
  readonly models: Readonly<Record<string, ModelClass>>;
}

export type RunCodeFunction = (context: RunCodeContext) => Promise<void> | void;

/**
 * Code of your own (a data migration). Its models are rebuilt from the migration state, not imported from
 * the project, so it keeps working after the models change.
 */
export class RunCode extends Operation {
  constructor(
    readonly up: RunCodeFunction,
    readonly down?: RunCodeFunction,
  ) {
    super();
  }
  override get reversible(): boolean {
    return this.down !== undefined;
  }
  stateForwards(): void {}
  forwards(context: OperationContext): Promise<void> {
    return this.#call(this.up, context, context.before);
  }
  backwards(context: OperationContext): Promise<void> {
    return this.down ? this.#call(this.down, context, context.after) : Promise.resolve();
  }
  async #call(fn: RunCodeFunction, { database, dryRun, run }: OperationContext, state: ProjectState): Promise<void> {
    if (dryRun) return run([`-- RunCode: ${fn.name || "a function"} (runs JavaScript; no SQL to show)`]);
    const historical = historicalModels(state, database);
    try {
      await fn({ database, models: historical.models });
    } finally {
      historical.release();
    }
  }
  describe(): string {
    return "Run code";
  }
  toCode(): string {
    return `new RunCode(async ({ database, models }) => {\n      // your data migration\n    })`;
  }
  suggestName(): string {
    return "run_code";
  }
}

export { ProjectState };
