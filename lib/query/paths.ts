import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";

/**
 * One hop across a relation: rows of `to` whose `toField` equals `fromField` of `from`.
 * Forward foreign keys hop from the FK column to the target's primary key; reverse relations
 * hop back, and can multiply rows (`many`).
 */
export interface RelationStep {
  readonly name: string;
  readonly from: ModelMeta;
  readonly to: ModelMeta;
  readonly fromField: Field;
  readonly toField: Field;
  readonly many: boolean;
  /** A LEFT JOIN keeps rows whose link is null; an INNER JOIN is enough where the link cannot be. */
  readonly nullable: boolean;
  /**
   * A many-to-many relation is two hops through its join table: to the link rows (reverse, many), then from
   * each link to the related row (forward). Paths are walked across these, never across the relation itself.
   */
  readonly hops?: readonly [RelationStep, RelationStep];
}

export interface ResolvedPath {
  readonly steps: readonly RelationStep[];
  readonly field: Field;
  /** Parts after the field: an operator the caller checks, or an error. */
  readonly rest: readonly string[];
}

/**
 * Walks `album__artist__name` from a model: relation names hop, the first plain field ends the walk.
 * A relation named last stands for its own column (a foreign key compared with a pk or an instance).
 */
export function resolvePath(meta: ModelMeta, parts: readonly string[], key: string): ResolvedPath {
  const steps: RelationStep[] = [];
  let current = meta;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    const relation = current.relations.get(part);
    const isLast = index === parts.length - 1;
    if (relation && (!isLast || !current.fieldMap.has(part))) {
      if (relation.hops) {
        // Named last (`tags`, `Count("tags")`), a many-to-many stands for the join table's key column: no join to the related table.
        steps.push(relation.hops[0]);
        if (isLast) return { steps, field: relation.hops[1].fromField, rest: [] };
        steps.push(relation.hops[1]);
        current = relation.to;
        continue;
      }
      steps.push(relation);
      current = relation.to;
      if (isLast) return { steps, field: current.pk, rest: [] };
      continue;
    }
    const field = current.field(part, "field or relation", key);
    // `author__id` is the foreign key's own column: no join to read what the row already holds.
    const last = steps[steps.length - 1];
    if (last && !last.many && field === last.toField) return { steps: steps.slice(0, -1), field: last.fromField, rest: parts.slice(index + 1) };
    return { steps, field, rest: parts.slice(index + 1) };
  }
  return { steps, field: current.pk, rest: [] };
}
