import type { Operation } from "./operations.js";

/** What a migration file exports by default. */
export interface MigrationDefinition {
  /** The migrations this one comes after, by name ("0003_track_title"). */
  readonly dependencies: readonly string[];
  readonly operations: readonly Operation[];
}

/** A loaded migration: its definition, its name (the file's, without extension), its file and its checksum. */
export interface Migration extends MigrationDefinition {
  readonly name: string;
  readonly file: string;
  /** SHA-256 of the file's text: an applied migration edited afterwards is refused. */
  readonly checksum: string;
}

/** Types a migration file: `export default migration({ dependencies: [...], operations: [...] })`. */
export function migration(definition: MigrationDefinition): MigrationDefinition {
  return definition;
}
