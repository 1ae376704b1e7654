import type { Database } from "../database.js";
import * as columns from "../model/columns.js";
import type { Field, FieldOptions } from "../model/fields.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import { Model, type ModelClass } from "../model/model.js";
import { ForeignKey, ManyToMany, OneToOne } from "../relations/constructors.js";
import type { FieldState, ModelState, ProjectState } from "./state.js";

/** A field object for a recorded field: the same constructors the models use, so DDL and validation are theirs. */
export function makeField(state: FieldState): Field {
  const { type, to, choices, default: fallback, ...rest } = state;
  if (type === "ManyToMany") {
    const { through, relatedName, throughFields, symmetrical } = state;
    return ManyToMany(to!, { ...(through ? { through } : {}), ...(relatedName ? { relatedName } : {}), ...(throughFields ? { throughFields } : {}), ...(symmetrical ? { symmetrical } : {}) });
  }
  const options = { ...rest, ...(fallback !== undefined ? { default: fallback } : {}) } as FieldOptions<unknown> & Record<string, unknown>;
  switch (type) {
    case "ForeignKey":
      return ForeignKey(to!, options);
    case "OneToOne":
      return OneToOne(to!, options);
    case "Enum":
      return columns.Enum(choices ?? [], options as FieldOptions<string>);
    case "Decimal":
      return columns.Decimal(options as unknown as { maxDigits: number; decimalPlaces: number });
    default:
      return (columns[type] as (options: object) => Field)(options);
  }
}

/**
 * The models of `names` and those their relations reach, targets first: what the DDL of `names` reads (a key's
 * column copies its target's key; a ManyToMany's join table keys both sides; a through model's keys say which of
 * its columns hold the pairs). The targets' own keys stay unresolved where nothing reads them.
 */
function withTargets(state: ProjectState, names: Iterable<string>): ModelState[] {
  const picked = new Map<string, ModelState>();
  const pick = (name: string | undefined) => {
    const target = name ? state.models.get(name) : undefined;
    if (target && !picked.has(target.name)) picked.set(target.name, target);
  };
  for (const name of names) {
    const model = state.models.get(name);
    if (!model) continue;
    for (const field of Object.values(model.fields)) {
      pick(field.to);
      const through = field.through ? state.models.get(field.through) : undefined;
      if (through) Object.values(through.fields).forEach((key) => pick(key.to));
      pick(field.through);
    }
    picked.delete(name);
    picked.set(name, model);
  }
  return [...picked.values()];
}

/**
 * Model classes as the state describes them, defined on `database` (Django's historical models): what DDL is
 * written from, and what RunCode hands to a data migration. `release()` takes them off the database again.
 */
export function historicalModels(
  state: ProjectState,
  database: Database,
  names?: Iterable<string>,
): { models: Record<string, ModelClass>; meta(name: string): ModelMeta; release(): void } {
  const models: Record<string, ModelClass> = {};
  const defined: ModelMeta[] = [];
  // The join models the implicit ManyToManys made as they were wired: registered on the database too.
  const release = () => {
    const made = defined.flatMap((meta) => meta.manyToMany.flatMap((field) => (field.link && !field.link.explicit ? [field.link.through] : [])));
    for (const meta of [...defined, ...made]) database.unregister(meta);
  };
  try {
    for (const model of names ? withTargets(state, names) : [...state.models.values()]) {
      const fields = Object.fromEntries(Object.entries(model.fields).map(([name, field]) => [name, makeField(field)]));
      const model_ = Model.define(model.name, fields, {
        database,
        tablename: model.table,
        indexes: model.indexes?.map(({ name, fields: names, unique }) => ({ name, fields: names, unique })),
        constraints: model.constraints?.map((spec) => (spec.kind === "unique" ? { name: spec.name, unique: spec.fields } : { name: spec.name, check: spec.check })),
      });
      models[model.name] = model_ as unknown as ModelClass;
      defined.push(model_[META]);
    }
  } catch (error) {
    release();
    throw error;
  }
  return {
    models,
    meta: (name) => {
      const model = models[name];
      if (!model) throw new Error(`No historical model ${name}`);
      return model[META];
    },
    release,
  };
}
