// "quarry/migrations": what migration files import, and the layer's pieces for tools built on it.
export { migration, type Migration, type MigrationDefinition } from "./migration.js";
export {
  Operation,
  CreateModel,
  DeleteModel,
  RenameModel,
  AddField,
  RemoveField,
  AlterField,
  RenameField,
  AddIndex,
  RemoveIndex,
  AddConstraint,
  RemoveConstraint,
  RunSQL,
  RunCode,
  StateOnly,
  type OperationContext,
  type RunCodeContext,
  type RunCodeFunction,
} from "./operations.js";
export { ProjectState, stateFromModels, type FieldState, type FieldType, type ModelState } from "./state.js";
export { MigrationGraph } from "./graph.js";
export { MigrationError } from "./errors.js";
export { loadMigrations } from "./loader.js";
export { migrate, type MigrateOptions, type MigrateResult } from "./executor.js";
export { detectChanges } from "./autodetector.js";
export { historicalModels } from "./historical.js";
export { makeMigrations, type MakeMigrationsOptions, type MadeMigration } from "./makemigrations.js";
export { FlagQuestioner, TerminalQuestioner, parseRenames, type Questioner } from "./questioner.js";
