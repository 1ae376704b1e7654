import type { Database } from "../database.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { Model, ModelClass } from "../model/model.js";
import { ForeignKeyField } from "./foreign-key.js";
import { RelatedManager, RelatedOne } from "./related-manager.js";

/**
 * Connects foreign keys to their targets once both models exist (a key may name a model defined
 * later): the forward hop on the source, the reverse hop and accessor on the target.
 */
export function wireRelations(database: Database): void {
  const lookup = (name: string) => database.models.find((meta) => meta.name === name)?.model;
  for (const meta of database.models) {
    for (const field of meta.fields) {
      if (!(field instanceof ForeignKeyField) || field.isResolved) continue;
      const target = resolveTarget(field, meta, lookup);
      if (!target) continue;
      field.resolve(target);
      connect(meta, field);
    }
  }
}

function resolveTarget(field: ForeignKeyField, meta: ModelMeta, lookup: (name: string) => ModelClass | undefined): ModelClass | undefined {
  const related = field.related;
  if (related === "self") return lookup(meta.name);
  if (typeof related === "string") return lookup(related);
  if (related[META]?.database !== meta.database) {
    throw new TypeError(`${meta.name}.${field.name}: ${related[META]?.name ?? "the related model"} belongs to another database`);
  }
  return related as unknown as ModelClass;
}

export function defaultRelatedName(meta: ModelMeta, field: ForeignKeyField): string {
  const camel = meta.name.charAt(0).toLowerCase() + meta.name.slice(1);
  return field.options.relatedName ?? (field.oneToOne ? camel : `${camel}s`);
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
  if (targetMeta.fieldMap.has(relatedName) || targetMeta.relations.has(relatedName)) {
    throw new TypeError(
      `${meta.name}.${field.name}: ${targetMeta.name} already has a field or relation called "${relatedName}"; pick another relatedName`,
    );
  }
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
  });
}
