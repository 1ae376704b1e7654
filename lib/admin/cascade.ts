import type { Database } from "../database.js";
import type { ModelMeta } from "../model/meta.js";
import type { Model } from "../model/model.js";
import { ForeignKeyField } from "../relations/foreign-key.js";

/** What deleting some rows takes with it (ON DELETE CASCADE), or leaves (SET NULL), or is refused by (RESTRICT). */
export interface CascadeEntry {
  readonly model: string;
  readonly via: string;
  readonly effect: "deleted" | "set to null" | "blocks the delete";
  readonly count: number;
  readonly examples: readonly string[];
}

const EXAMPLES = 10;
const DEPTH = 4;

/**
 * Follows every foreign key that points at `meta` from the database's models, level by level, counting the rows
 * each would delete, null or refuse: what the delete confirmation lists before anything is removed.
 */
export async function cascadeOf(database: Database, meta: ModelMeta, keys: readonly unknown[], describe: (meta: ModelMeta, row: Model) => string): Promise<CascadeEntry[]> {
  const entries: CascadeEntry[] = [];
  const walk = async (target: ModelMeta, targetKeys: readonly unknown[], depth: number): Promise<void> => {
    if (targetKeys.length === 0 || depth > DEPTH) return;
    for (const source of database.models) {
      for (const field of source.fields) {
        if (!(field instanceof ForeignKeyField) || field.targetMeta !== target) continue;
        const rows = source.model.objects.filter({ [`${field.name}__in`]: targetKeys });
        const count = await rows.count();
        if (count === 0) continue;
        const sample = (await rows.limit(EXAMPLES).all()) as unknown as Model[];
        const effect = field.onDelete === "CASCADE" ? "deleted" : field.onDelete === "SET NULL" ? "set to null" : "blocks the delete";
        entries.push({ model: source.name, via: field.name, effect, count, examples: sample.map((row) => describe(source, row)) });
        if (effect === "deleted" && source !== target) await walk(source, (await rows.valuesList("pk", { flat: true }).all()) as unknown[], depth + 1);
      }
    }
  };
  await walk(meta, keys, 1);
  return entries;
}
