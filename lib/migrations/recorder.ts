import type { Database } from "../database.js";
import * as columns from "../model/columns.js";
import { Model } from "../model/model.js";
import { createTableStatements } from "../query/ddl.js";
import { META } from "../model/instance.js";

/** A row of the history: `progress` is the number of operations done of a migration that stopped midway (MySQL), else null. */
export interface AppliedMigration {
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly progress: number | null;
}

export const HISTORY_TABLE = "quarry_migrations";

/** The `quarry_migrations` table: which migrations are applied, with their checksums and times. */
export class Recorder {
  readonly #history;

  constructor(private readonly database: Database) {
    this.#history = Model.define(
      "QuarryMigration",
      {
        name: columns.String({ primaryKey: true, maxLength: 255 }),
        checksum: columns.String({ maxLength: 64 }),
        appliedAt: columns.DateTime({ column: "applied_at" }),
        progress: columns.Integer({ allowNull: true }),
      },
      { database, tablename: HISTORY_TABLE },
    );
  }

  async ensureTable(): Promise<void> {
    for (const statement of createTableStatements(this.#history[META], this.database.dialect)) await this.database.run(statement);
  }

  async applied(): Promise<Map<string, AppliedMigration>> {
    const rows = await this.#history.objects.orderBy("name").all();
    return new Map(rows.map((row) => [row.name, { name: row.name, checksum: row.checksum, appliedAt: row.appliedAt, progress: row.progress }]));
  }

  async record(name: string, checksum: string, progress: number | null = null): Promise<void> {
    // One statement per operation where progress is recorded operation by operation (MySQL): each one commits.
    const updated = await this.#history.objects.filter({ name }).update({ checksum, appliedAt: new Date(), progress });
    if (updated === 0) await this.#history.objects.create({ name, checksum, appliedAt: new Date(), progress });
  }

  async forget(name: string): Promise<void> {
    await this.#history.objects.filter({ name }).delete();
  }

  release(): void {
    this.database.unregister(this.#history[META]);
  }
}
