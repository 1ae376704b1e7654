import type { Typed } from "../model/columns.js";
import type { InstanceMethods } from "../model/model.js";
import { checkedFieldOptions } from "../model/options.js";
import type { SelfReference, Stub } from "../query/typing.js";
import { ForeignKeyField, type ForeignKeyOptions, type RelatedModel } from "./foreign-key.js";
import type { Field } from "../model/fields.js";
import { ManyToManyField, type ManyToManyOptions } from "./many-to-many.js";
import type { ManyRelatedManager } from "./many-related-manager.js";

/** The instance type behind a related model: its class's instances, or any instance for "self" and names. */
type RelatedInstance<M> = M extends abstract new (...args: never[]) => infer I ? I : M extends "self" ? SelfReference : InstanceMethods;
type RelatedKey<M> = RelatedInstance<M> extends { pk: infer Key } ? Key : unknown;
/** A foreign key's type: holds the related instance, accepts it or its key. */
type ForeignKeyOf<M, O> = Typed<ForeignKeyField, Stub<RelatedInstance<M>>, O> & {
  readonly relatedType: RelatedInstance<M>;
  readonly keyType: RelatedKey<M>;
};

const FOREIGN_KEY_OPTIONS = ["allowNull", "unique", "index", "column", "validators", "onDelete", "relatedName"];

/** A column holding the primary key of a row of `model` (a class, its name, or "self"), named `<field>_id`. */
export function ForeignKey<const M extends RelatedModel, const O extends ForeignKeyOptions = {}>(
  model: M,
  options?: O,
): ForeignKeyOf<M, O> {
  return new ForeignKeyField(checkModel(model), checkedFieldOptions("ForeignKey", options, FOREIGN_KEY_OPTIONS) ?? {}, false) as ForeignKeyOf<M, O>;
}

/** A unique foreign key: each row of `model` has at most one row here, reached as `await row.<relatedName>`. */
export function OneToOne<const M extends RelatedModel, const O extends ForeignKeyOptions = {}>(
  model: M,
  options?: O,
): ForeignKeyOf<M, O> {
  return new ForeignKeyField(checkModel(model), checkedFieldOptions("OneToOne", options, FOREIGN_KEY_OPTIONS) ?? {}, true) as ForeignKeyOf<M, O>;
}

/**
 * A many-to-many's type: no column (create() takes no value for it), a manager of the related rows on an instance.
 * `manyToManyTarget` carries the related instance type (SelfReference for "self", resolved where the model is known).
 */
export type ManyToManyOf<M> = ManyToManyField &
  Field<ManyRelatedManager<Extract<RelatedInstance<M>, object>>, false, true, false> & { readonly manyToManyTarget: RelatedInstance<M> };

/**
 * Rows of `model` linked to this model's rows through a join table: `tags: orm.ManyToMany(Tag)` gives
 * `article.tags` and `tag.articles` (relatedName), each a related manager with add(), remove(), set(), clear().
 */
export function ManyToMany<const M extends RelatedModel, const O extends ManyToManyOptions = {}>(model: M, options?: O): ManyToManyOf<M> {
  return new ManyToManyField(checkModel(model), options ?? {}) as unknown as ManyToManyOf<M>;
}

function checkModel(model: RelatedModel): RelatedModel {
  if (typeof model !== "string" && typeof model !== "function") {
    throw new TypeError("ForeignKey() needs a model class, a model name, or \"self\"");
  }
  return model;
}
