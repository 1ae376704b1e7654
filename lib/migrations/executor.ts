import { raw } from "sql-template-tag";
import type { Database } from "../database.js";
import { MigrationError } from "./errors.js";
import { MigrationGraph } from "./graph.js";
import type { Migration } from "./migration.js";
import type { Operation, OperationContext } from "./operations.js";
import { Recorder, type AppliedMigration } from "./recorder.js";
import { SchemaEditor } from "./schema-editor.js";
import type { ProjectState } from "./state.js";

export interface MigrateOptions {
  /** A migration name or prefix to go forward or back to, or "zero"; default: every migration. */
  readonly target?: string | undefined;
  /** Record the migrations as applied (or unapplied) without running them. */
  readonly fake?: boolean;
  /** Print the statements instead of running them. */
  readonly dryRun?: boolean;
  /** Progress lines for the terminal. */
  readonly log: (line: string) => void;
}

export interface MigrateResult {
  readonly applied: string[];
  readonly unapplied: string[];
}

type Step = { readonly migration: Migration; readonly direction: "forwards" | "backwards" };

/** The states around each operation of `migration`, starting from `before`. */
export function operationStates(migration: Migration, before: ProjectState): ProjectState[] {
  const states = [before];
  for (const operation of migration.operations) {
    const next = states.at(-1)!.clone();
    operation.stateForwards(next);
    states.push(next);
  }
  return states;
}

/** Runs (or prints) one migration's operations; `onOperation` after each, with how many are done. */
export async function runMigration(
  migration: Migration,
  direction: Step["direction"],
  before: ProjectState,
  context: Omit<OperationContext, "before" | "after">,
  from = 0,
  onOperation?: (done: number, operation: Operation) => Promise<void>,
): Promise<void> {
  const states = operationStates(migration, before);
  const indexes = migration.operations.map((_, index) => index);
  for (const index of direction === "forwards" ? indexes.slice(from) : indexes.reverse()) {
    const operation = migration.operations[index]!;
    const around = { ...context, before: states[index]!, after: states[index + 1]! };
    try {
      await (direction === "forwards" ? operation.forwards(around) : operation.backwards(around));
    } catch (error) {
      throw Object.assign(error as Error, { failedOperation: { index, operation } });
    }
    await onOperation?.(index + 1, operation);
  }
}

/**
 * Applies the pending migrations in dependency order, or reverses back to an earlier target. One run holds the
 * database's migration lock from before the history table is created, so two deployers never apply one twice.
 */
export async function migrate(target: Database, migrations: readonly Migration[], options: MigrateOptions): Promise<MigrateResult> {
  const dialect = target.dialect.migrations;
  if (dialect.transactionalDdl) return migrateOn(target, target.transaction.bind(target), migrations, options);
  // DDL commits itself here, so no transaction holds the run together: one connection does (the session lock's).
  const session = target.detached(undefined, { pool: { max: 1 } });
  try {
    return await migrateOn(session, (fn) => fn(), migrations, options);
  } finally {
    await session.disconnect();
  }
}

async function migrateOn(
  database: Database,
  atomically: (fn: () => Promise<void>) => Promise<void>,
  migrations: readonly Migration[],
  options: MigrateOptions,
): Promise<MigrateResult> {
  const graph = new MigrationGraph(migrations);
  const dialect = database.dialect.migrations;
  const editor = new SchemaEditor(database.dialect);
  const recorder = new Recorder(database);
  const result: MigrateResult = { applied: [], unapplied: [] };
  let failure: unknown;
  for (const statement of dialect.session.before) await database.run(raw(statement));
  try {
    await atomically(async () => {
      if (dialect.lock.acquire) await database.run(raw(dialect.lock.acquire));
      try {
        if (!options.dryRun) await recorder.ensureTable();
        const applied = options.dryRun ? await recorder.applied().catch(() => new Map<string, AppliedMigration>()) : await recorder.applied();
        const steps = plan(graph, applied, options.target);
        check(graph, steps, applied);
        if (steps.length === 0) options.log("No migrations to apply.");
        for (const step of steps) {
          try {
            await runStep(step);
          } catch (error) {
            failure = error;
            return; // what ran before it stays: the transaction commits
          }
        }
        if (dialect.foreignKeyCheck && !options.dryRun) {
          const broken = (await database.run(raw(dialect.foreignKeyCheck))).rows;
          if (broken.length > 0) throw new MigrationError(`The migrations left ${broken.length} rows whose foreign keys point nowhere: ${JSON.stringify(broken.slice(0, 5))}`);
        }
      } finally {
        if (dialect.lock.release) await database.run(raw(dialect.lock.release));
      }
    });
  } finally {
    for (const statement of dialect.session.after) await database.run(raw(statement));
    recorder.release();
  }
  if (failure) throw failure;
  return result;

  async function runStep({ migration, direction }: Step): Promise<void> {
    const started = performance.now();
    const applied = await recorder.applied().catch(() => new Map<string, AppliedMigration>());
    const resumeAt = direction === "forwards" ? (applied.get(migration.name)?.progress ?? 0) : 0;
    options.log(`${direction === "forwards" ? "Applying" : "Unapplying"} ${migration.name}${resumeAt > 0 ? ` (resuming at operation ${resumeAt + 1})` : ""}...`);
    const before = graph.stateAfter(stateBefore(graph, migration.name));
    const run = async (statements: readonly string[]) => {
      for (const statement of statements) {
        if (options.dryRun) options.log(`${statement};`);
        else await database.run(raw(statement));
      }
    };
    const context = { editor, run, database, dryRun: options.dryRun === true };
    const perOperation = !dialect.transactionalDdl && direction === "forwards" && !options.dryRun;
    const apply = async () => {
      if (!options.fake) {
        await runMigration(migration, direction, before, context, resumeAt, perOperation
          ? (done) => recorder.record(migration.name, migration.checksum, done < migration.operations.length ? done : null)
          : undefined);
      }
      if (options.dryRun) return;
      if (direction === "forwards") await recorder.record(migration.name, migration.checksum);
      else await recorder.forget(migration.name);
    };
    try {
      // A savepoint per migration where DDL is transactional: a failure takes back that migration alone.
      if (dialect.transactionalDdl && !options.dryRun) await database.transaction(apply);
      else await apply();
    } catch (error) {
      throw explain(error, migration, direction, dialect.transactionalDdl, resumeAt);
    }
    (direction === "forwards" ? result.applied : result.unapplied).push(migration.name);
    options.log(`  ${options.fake ? "FAKED" : "OK"} (${Math.round(performance.now() - started)} ms)`);
  }
}

/** The migrations applied before `name` in its own history: its ancestors. */
function stateBefore(graph: MigrationGraph, name: string): Set<string> {
  const ancestors = graph.ancestors(name);
  ancestors.delete(name);
  return ancestors;
}

function plan(graph: MigrationGraph, applied: ReadonlyMap<string, AppliedMigration>, target: string | undefined): Step[] {
  const done = (name: string) => applied.has(name) && applied.get(name)!.progress === null;
  if (target === undefined) {
    const conflict = graph.conflict();
    if (conflict) throw conflict;
    return graph.order.filter((migration) => !done(migration.name)).map((migration) => ({ migration, direction: "forwards" }));
  }
  if (target === "zero") {
    return [...graph.order].reverse().filter((migration) => applied.has(migration.name)).map((migration) => ({ migration, direction: "backwards" }));
  }
  const name = graph.resolve(target);
  if (done(name)) {
    // Back to `name`: everything applied that depends on it goes, latest first.
    const later = graph.descendants(name);
    later.delete(name);
    return [...graph.order].reverse().filter((migration) => later.has(migration.name) && applied.has(migration.name)).map((migration) => ({ migration, direction: "backwards" }));
  }
  const needed = graph.ancestors(name);
  return graph.order.filter((migration) => needed.has(migration.name) && !done(migration.name)).map((migration) => ({ migration, direction: "forwards" }));
}

/** Refuses, before anything runs: an applied migration edited since, and a reversal past an irreversible operation. */
function check(graph: MigrationGraph, steps: readonly Step[], applied: ReadonlyMap<string, AppliedMigration>): void {
  for (const [name, record] of applied) {
    const migration = graph.nodes.get(name);
    if (migration && migration.checksum !== record.checksum) {
      throw new MigrationError(
        `Migration ${name} was applied, and its file has changed since (checksum ${record.checksum.slice(0, 12)}… recorded, ${migration.checksum.slice(0, 12)}… now): ` +
          `an applied migration must not be edited. Put the file back as it was and make a new migration for the change.`,
      );
    }
  }
  for (const { migration, direction } of steps) {
    if (direction !== "backwards") continue;
    const index = migration.operations.findIndex((operation) => !operation.reversible);
    if (index >= 0) {
      throw new MigrationError(
        `Migration ${migration.name} cannot be reversed: its operation ${index + 1} (${migration.operations[index]!.describe()}) has no down. Nothing was changed.`,
      );
    }
  }
}

function explain(error: unknown, migration: Migration, direction: Step["direction"], transactional: boolean, resumeAt: number): MigrationError {
  const failed = (error as { failedOperation?: { index: number; operation: Operation } }).failedOperation;
  const what = failed ? ` at operation ${failed.index + 1} (${failed.operation.describe()})` : "";
  const cause = (error as Error).message;
  let state: string;
  if (transactional) state = `Nothing of ${migration.name} was applied: its transaction rolled back.`;
  else if (failed && direction === "forwards") {
    const done = failed.index;
    state =
      done > 0
        ? `Operations ${resumeAt + 1}-${done} of ${migration.name} ran and are recorded (${done} of ${migration.operations.length} done); fix the cause and run \`quarry migrate\` again to resume at operation ${done + 1}.`
        : `No operation of ${migration.name} ran; fix the cause and run \`quarry migrate\` again.`;
  } else state = `Check the schema: this database commits each statement, so part of ${migration.name} may have been reversed.`;
  return new MigrationError(`Migration ${migration.name} failed${what}: ${cause}\n${state}`, { cause: error });
}
