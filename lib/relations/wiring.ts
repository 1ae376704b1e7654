import type { Database } from "../database.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { Model, ModelClass } from "../model/model.js";
import { ForeignKeyField, type RelatedModel } from "./foreign-key.js";
import { RelatedManager, RelatedOne } from "./related-manager.js";
import { wireManyToMany } from "./many-to-many-wiring.js";

/**
 * Connects foreign keys to their targets once both models exist (a key may name a model defined
 * later): the forward hop on the source, the reverse hop and accessor on the target.
 */
export function wireRelations(database: Database): void {
  for (const meta of database.models) {
    for (const field of meta.fields) {
      if (!(field instanceof ForeignKeyField) || field.isResolved) continue;
      const target = resolveModel(field.related, meta, field.name);
      if (!target) continue;
      field.resolve(target);
      connect(meta, field);
    }
  }
  wireManyToMany(database);
}

/** The model a relation names (a class, a name on the same database, or "self"), or undefined while it is not defined yet. */
export function resolveModel(related: RelatedModel, meta: ModelMeta, fieldName: string): ModelClass | undefined {
  if (related === "self") return meta.model;
  if (typeof related === "string") return meta.database.models.find((known) => known.name === related)?.model;
  if (related[META]?.database !== meta.database) {
    throw new TypeError(`${meta.name}.${fieldName}: ${related[META]?.name ?? "the related model"} belongs to another database`);
  }
  return related as unknown as ModelClass;
}

export function defaultRelatedName(meta: ModelMeta, field: ForeignKeyField): string {
  const camel = camelCase(meta.name);
  return field.options.relatedName ?? (field.oneToOne ? camel : `${camel}s`);
}

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** `relatedName: "+"` asks for no reverse relation (a join table's keys: the many-to-many is the way across). */
export const NO_REVERSE = "+";

/** Throws where `meta` already has a field or relation called `name`, naming the declaration that wanted it. */
export function claimName(meta: ModelMeta, name: string, claimant: string): void {
  if (meta.fieldMap.has(name) || meta.relations.has(name)) {
    throw new TypeError(`${claimant}: ${meta.name} already has a field or relation called "${name}"; pick another relatedName`);
  }
}

function connect(meta: ModelMeta, field: ForeignKeyField): void {
  const targetMeta = field.targetMeta;
  const relatedName = defaultRelatedName(meta, field);
  meta.relations.set(field.name, {
    name: field.name,
    from: meta,
    to: targetMeta,
    fromField: field,
    toField: targetMeta.pk,
    many: false,
    nullable: field.allowNull,
  });
  if (relatedName === NO_REVERSE) return;
  claimName(targetMeta, relatedName, `${meta.name}.${field.name}`);
  targetMeta.relations.set(relatedName, {
    name: relatedName,
    from: targetMeta,
    to: meta,
    fromField: targetMeta.pk,
    toField: field,
    many: !field.oneToOne,
    nullable: true,
  });
  Object.defineProperty(field.target.prototype, relatedName, {
    configurable: true,
    get(this: Model) {
      return field.oneToOne ? new RelatedOne(meta.model, field, this, relatedName) : new RelatedManager(meta.model, field, this, relatedName);
    },
    set: refuseWrite(targetMeta, relatedName),
  });
}

/** The setter of a relation to many rows: an assignment would write nothing, so it is refused, saying what does. */
export function refuseWrite(meta: ModelMeta, name: string): (value: unknown) => never {
  return () => {
    throw meta.relationWrite(name)!;
  };
}
