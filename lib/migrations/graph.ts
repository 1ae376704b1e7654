import { MigrationError } from "./errors.js";
import type { Migration } from "./migration.js";
import { ProjectState } from "./state.js";

/** Migrations ordered by their declared dependencies, not their names or dates. */
export class MigrationGraph {
  readonly nodes: ReadonlyMap<string, Migration>;
  readonly #order: Migration[];

  constructor(migrations: readonly Migration[]) {
    this.nodes = new Map(migrations.map((migration) => [migration.name, migration]));
    for (const migration of migrations) {
      for (const dependency of migration.dependencies) {
        if (!this.nodes.has(dependency)) throw new MigrationError(`Migration ${migration.name} depends on ${dependency}, which is not among the migrations (${[...this.nodes.keys()].join(", ")})`);
      }
    }
    this.#order = this.#sort();
  }

  /** Every migration after all of its dependencies; among those ready at once, by name. */
  #sort(): Migration[] {
    const order: Migration[] = [];
    const placed = new Set<string>();
    const pending = [...this.nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
    while (pending.length > 0) {
      const index = pending.findIndex((migration) => migration.dependencies.every((dependency) => placed.has(dependency)));
      if (index < 0) throw new MigrationError(`The migrations ${pending.map((migration) => migration.name).join(", ")} depend on each other in a cycle`);
      const [next] = pending.splice(index, 1);
      order.push(next!);
      placed.add(next!.name);
    }
    return order;
  }

  get order(): readonly Migration[] {
    return this.#order;
  }

  /** Migrations no other depends on: one, unless two branches each added theirs. */
  leaves(): string[] {
    const needed = new Set(this.#order.flatMap((migration) => migration.dependencies));
    return this.#order.filter((migration) => !needed.has(migration.name)).map((migration) => migration.name);
  }

  /** The error for two or more leaves, or undefined. */
  conflict(): MigrationError | undefined {
    const leaves = this.leaves();
    if (leaves.length < 2) return undefined;
    return new MigrationError(`Conflicting migrations ${leaves.join(" and ")}: two branches each added a migration. Run \`quarry makemigrations --merge\` to write the migration that joins them.`);
  }

  /** `name` and every migration it depends on, directly or not. */
  ancestors(name: string): Set<string> {
    const found = new Set<string>();
    const visit = (current: string) => {
      if (found.has(current)) return;
      found.add(current);
      for (const dependency of this.nodes.get(current)!.dependencies) visit(dependency);
    };
    visit(name);
    return found;
  }

  /** `name` and every migration that depends on it, directly or not. */
  descendants(name: string): Set<string> {
    const found = new Set([name]);
    for (const migration of this.#order) if (migration.dependencies.some((dependency) => found.has(dependency))) found.add(migration.name);
    return found;
  }

  /** A migration named in full, or by a prefix only it has ("0002"). */
  resolve(target: string): string {
    if (this.nodes.has(target)) return target;
    const matches = [...this.nodes.keys()].filter((name) => name.startsWith(`${target}_`) || name.startsWith(target));
    if (matches.length === 1) return matches[0]!;
    throw new MigrationError(
      matches.length === 0
        ? `No migration called ${JSON.stringify(target)}; there are: ${[...this.nodes.keys()].join(", ") || "none"}`
        : `${JSON.stringify(target)} could be ${matches.join(" or ")}; name one in full`,
    );
  }

  /** The project state once the migrations in `names` are applied, in dependency order. */
  stateAfter(names: ReadonlySet<string>): ProjectState {
    const state = new ProjectState();
    for (const migration of this.#order) {
      if (names.has(migration.name)) for (const operation of migration.operations) operation.stateForwards(state);
    }
    return state;
  }
}
