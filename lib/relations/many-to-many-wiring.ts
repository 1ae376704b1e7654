import type { Database } from "../database.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import { Model, snakeCase } from "../model/model.js";
import type { RelationStep } from "../query/paths.js";
import { ForeignKeyField } from "./foreign-key.js";
import { ManyRelatedManager } from "./many-related-manager.js";
import { manyToManyStep, type ManyToManyField, type ManyToManyLink } from "./many-to-many.js";
import { camelCase, claimName, NO_REVERSE, refuseWrite, resolveModel } from "./wiring.js";

/**
 * Connects each many-to-many whose models are all defined: its join model (made here when none is given),
 * the relation both ways, and the managers `article.tags` and `tag.articles`.
 */
export function wireManyToMany(database: Database): void {
  for (const meta of database.models) {
    for (const field of [...meta.manyToMany]) {
      if (field.link || field.resolving) continue;
      try {
        wireOne(meta, field);
      } catch (error) {
        // Refused once: a declaration that can never be wired must not fail every later Model.define too.
        meta.manyToMany.splice(meta.manyToMany.indexOf(field), 1);
        throw error;
      }
    }
  }
}

function wireOne(meta: ModelMeta, field: ManyToManyField): void {
  const target = resolveModel(field.related, meta, field.name)?.[META];
  if (!target) return;
  if (field.options.symmetrical && target !== meta) {
    throw new TypeError(`${meta.name}.${field.name}: symmetrical is for a relation of a model to itself, ManyToMany("self", { symmetrical: true }); this one leads to ${target.name}`);
  }
  const link = field.options.through ? declaredLink(meta, field, target) : madeLink(meta, field, target);
  if (!link) return;
  field.link = link;
  connect(meta, field, target, link);
}

/** The join model quarry makes: `<table>_<field>`, a key to each side (`fromX`/`toX` for "self"), each pair once. */
function madeLink(meta: ModelMeta, field: ManyToManyField, target: ModelMeta): ManyToManyLink {
  const self = target === meta;
  const sourceName = self ? `from${meta.name}` : camelCase(meta.name);
  const targetName = self ? `to${target.name}` : camelCase(target.name);
  const key = (model: ModelMeta, name: string) => new ForeignKeyField(model.model, { relatedName: NO_REVERSE, column: `${snakeCase(name)}_id` }, false);
  field.resolving = true;
  let through: ModelMeta;
  try {
    const fields = { [sourceName]: key(meta, sourceName), [targetName]: key(target, targetName) };
    const tablename = `${meta.tablename}_${snakeCase(field.name)}`;
    through = Model.define(`${meta.name}_${field.name}`, fields, { database: meta.database, tablename, constraints: [{ unique: [sourceName, targetName] }] })[META];
  } finally {
    field.resolving = false;
  }
  const symmetrical = field.options.symmetrical === true;
  return { through, sourceKey: through.fieldMap.get(sourceName) as ForeignKeyField, targetKey: through.fieldMap.get(targetName) as ForeignKeyField, explicit: false, uniquePair: true, symmetrical };
}

/** The user's through model: its keys to each side (by throughFields where it has several), or undefined until it is defined. */
function declaredLink(meta: ModelMeta, field: ManyToManyField, target: ModelMeta): ManyToManyLink | undefined {
  const through = resolveModel(field.options.through!, meta, field.name)?.[META];
  if (!through) return undefined;
  const where = `${meta.name}.${field.name}`;
  const keys = through.fields.filter((candidate): candidate is ForeignKeyField => candidate instanceof ForeignKeyField);
  if (keys.some((key) => !key.isResolved)) return undefined;
  let sourceKey: ForeignKeyField | undefined;
  let targetKey: ForeignKeyField | undefined;
  const names = field.options.throughFields;
  if (names) {
    const named = (name: string, side: ModelMeta) => {
      const key = keys.find((candidate) => candidate.name === name);
      if (!key || key.targetMeta !== side) throw new TypeError(`${where}: throughFields names "${name}", which is not a foreign key of ${through.name} to ${side.name}`);
      return key;
    };
    sourceKey = named(names[0], meta);
    targetKey = named(names[1], target);
  } else {
    const toSource = keys.filter((key) => key.targetMeta === meta);
    const toTarget = keys.filter((key) => key.targetMeta === target);
    const self = meta === target;
    if (self ? toSource.length === 2 : toSource.length === 1 && toTarget.length === 1) [sourceKey, targetKey] = self ? toSource : [toSource[0], toTarget[0]];
    else {
      throw new TypeError(
        `${where}: the through model ${through.name} needs exactly one foreign key to ${meta.name} and one to ${target.name}` +
          `; it has ${toSource.length} and ${self ? toSource.length : toTarget.length}: name the two with throughFields: [toThisModel, toTheRelatedModel]`,
      );
    }
  }
  return { through, sourceKey: sourceKey!, targetKey: targetKey!, explicit: true, uniquePair: through.isUnique([sourceKey!.name, targetKey!.name]), symmetrical: false };
}

function connect(meta: ModelMeta, field: ManyToManyField, target: ModelMeta, link: ManyToManyLink): void {
  const where = `${meta.name}.${field.name}`;
  // A symmetrical relation's way back would read the same rows: it has none.
  const relatedName = link.symmetrical ? NO_REVERSE : (field.options.relatedName ?? `${camelCase(meta.name)}s`);
  claimName(meta, field.name, where);
  const forward = manyToManyStep(field.name, meta, target, link.through, link.sourceKey, link.targetKey);
  const backward = manyToManyStep(relatedName, target, meta, link.through, link.targetKey, link.sourceKey);
  meta.relations.set(field.name, forward);
  defineManager(meta, forward, backward, link);
  if (relatedName === NO_REVERSE) return;
  claimName(target, relatedName, where);
  target.relations.set(relatedName, backward);
  defineManager(target, backward, forward, link);
}

/** `owner.<relation>` on every instance of `meta`: the related rows' manager, made when read. */
function defineManager(meta: ModelMeta, relation: RelationStep, mirror: RelationStep, link: ManyToManyLink): void {
  const related = relation.to;
  Object.defineProperty(meta.definedModel.prototype, relation.name, {
    configurable: true,
    get(this: Model) {
      return new ManyRelatedManager(related.model, this, relation, mirror, link);
    },
    set: refuseWrite(meta, relation.name),
  });
}
