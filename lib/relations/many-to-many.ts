import type { FieldOwner } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { AnyModelClass } from "../model/model.js";
import type { RelationStep } from "../query/paths.js";
import type { ForeignKeyField, RelatedModel } from "./foreign-key.js";

export interface ManyToManyOptions {
  /**
   * The model of the join table, with a foreign key to each side and any fields of its own (a class, or its name
   * on the same database). Without it quarry makes the table `<table>_<field>` with the two keys alone.
   */
  through?: AnyModelClass | (string & {});
  /** The accessor on the related model; default: this model's name in camelCase plus "s". */
  relatedName?: string;
  /** The through model's foreign keys to this model and to the related one, where it has more than one of either. */
  throughFields?: readonly [source: string, target: string];
  /**
   * For "self": each link holds both ways, as friendship does (`a.friends.add(b)` makes `b.friends` hold `a` too),
   * so the relation is its own way back and has no relatedName. Default false: a follower graph.
   */
  symmetrical?: boolean;
}

/** The two sides and the join table of a many-to-many, once every model it names is defined. */
export interface ManyToManyLink {
  readonly through: ModelMeta;
  /** The join table's key to the model that declares the relation. */
  readonly sourceKey: ForeignKeyField;
  /** The join table's key to the related model. */
  readonly targetKey: ForeignKeyField;
  /** The join table was declared by the user (`through`), not made by quarry. */
  readonly explicit: boolean;
  /** A unique constraint holds each pair once: add() can leave a linked pair to the database to skip. */
  readonly uniquePair: boolean;
  /** Each pair is written both ways (ManyToManyOptions.symmetrical). */
  readonly symmetrical: boolean;
}

/**
 * `tags: orm.ManyToMany(Tag)`: no column of its own, but a join table holding pairs of keys, reached as a
 * related manager on both sides (`article.tags`, `tag.articles`).
 */
export class ManyToManyField {
  /** Set by Model.define. */
  name = "";
  owner: FieldOwner = { name: "?" };
  link: ManyToManyLink | undefined;
  /** Its join model is being defined: the wiring that defining it sets off must not start a second one. */
  resolving = false;

  constructor(
    readonly related: RelatedModel,
    readonly options: ManyToManyOptions,
  ) {
    if (typeof related !== "string" && typeof related !== "function") {
      throw new TypeError("ManyToMany() needs a model class, a model name, or \"self\"");
    }
    const fields = options.throughFields;
    if (fields !== undefined && (!options.through || !Array.isArray(fields) || fields.length !== 2 || fields.some((name) => typeof name !== "string"))) {
      throw new TypeError("ManyToMany(): throughFields names two foreign keys of the through model, [toThisModel, toTheRelatedModel], and needs `through`");
    }
    if (options.symmetrical !== undefined && typeof options.symmetrical !== "boolean") throw new TypeError(`ManyToMany(): symmetrical is true or false, got ${String(options.symmetrical)}`);
    if (options.symmetrical) {
      // A symmetrical relation writes each pair both ways itself: a through model's rows are the user's to write.
      if (options.through !== undefined) throw new TypeError("ManyToMany(): symmetrical takes no through model: quarry writes both rows of each pair into the join table it makes");
      if (options.relatedName !== undefined) throw new TypeError("ManyToMany(): a symmetrical relation is its own way back, so it takes no relatedName");
    }
  }

  /** Copies the declaration for another model (see orm.fields()). */
  copy(): ManyToManyField {
    return new ManyToManyField(this.related, this.options);
  }
}

/** The two hops a many-to-many walks, from `from` (whose key `near` holds) to the rows `far` points at. */
export function manyToManyStep(name: string, from: ModelMeta, to: ModelMeta, through: ModelMeta, near: ForeignKeyField, far: ForeignKeyField): RelationStep {
  const toLinks: RelationStep = { name, from, to: through, fromField: from.pk, toField: near, many: true, nullable: true };
  // Named apart from the relation, so that a join across both hops has its own alias.
  const toRows: RelationStep = { name: `${name}>`, from: through, to, fromField: far, toField: to.pk, many: false, nullable: false };
  return { name, from, to, fromField: from.pk, toField: to.pk, many: true, nullable: true, hops: [toLinks, toRows] };
}
