import type { Database } from "../database.js";
import { UnknownFieldError, ValidationError } from "../errors.js";
import type { RelationStep } from "../query/paths.js";
import type { ManyToManyField } from "../relations/many-to-many.js";
import type { Field } from "./fields.js";
import { UNLOADED } from "./instance.js";
import type { ModelClass } from "./model.js";
import type { ConstraintSpec, IndexSpec } from "./options.js";

/** What Model.define's options say beyond fields: the schema's extra constraints and indexes, the default ordering. */
export interface ModelOptionsSpec {
  readonly constraints: readonly ConstraintSpec[];
  readonly indexes: readonly IndexSpec[];
  /** The default orderBy() of the model's QuerySets. */
  readonly ordering: readonly string[];
}

/** What Model.define learned about a model: its table, its fields by name, its primary key. */
export class ModelMeta {
  readonly fieldMap: ReadonlyMap<string, Field>;
  readonly pk: Field;
  /** Fields with a column of their own, in declaration order: what a full SELECT reads. */
  readonly columns: readonly Field[];
  /** The class rows become: the defined class, or the subclass of it that the code uses. */
  model!: ModelClass;
  /** The class Model.define made, which has no constructor or class fields of the user's. */
  definedModel!: ModelClass;
  /**
   * A row of definedModel that lives as long as the model. Its rows share one hidden class, which V8 forgets once
   * no object has had it for two full collections, deoptimizing the code made for it ("weak objects"): the next
   * bulkCreate or read of many rows would then run unoptimized until compiled again.
   */
  shapeKeeper!: object;
  /** Relations that lookups can hop across, forward and reverse, by the name used in a path. */
  readonly relations = new Map<string, RelationStep>();
  /** ManyToMany declarations: no column here, a join table each (wired once both sides are defined). */
  readonly manyToMany: ManyToManyField[] = [];
  /** Slots of a row none of whose fields was loaded: a partial row's slots start as a copy (a copy costs less than a fill). */
  readonly unloadedSlots: readonly unknown[];
  /** Fields with `validators`, whose values to be written they check too. */
  readonly validated: readonly Field[];
  /**
   * Fields a new row that leaves them out needs a default or a refusal for: all but keys the database generates
   * (worked out once: each check reads options, and bulkCreate checks every row).
   */
  readonly defaulted: readonly Field[];
  /** Fields that hold a row of another model (foreign keys): the ones whose rows must live in the same database. */
  readonly foreignKeys: readonly Field[];
  readonly constraints: readonly ConstraintSpec[];
  readonly indexes: readonly IndexSpec[];
  readonly ordering: readonly string[];

  constructor(
    readonly name: string,
    readonly tablename: string,
    readonly fields: readonly Field[],
    readonly database: Database,
    options: ModelOptionsSpec = { constraints: [], indexes: [], ordering: [] },
  ) {
    this.constraints = options.constraints;
    this.indexes = options.indexes;
    this.ordering = options.ordering;
    this.fieldMap = new Map(fields.map((field) => [field.name, field]));
    this.pk = fields.find((field) => field.primaryKey)!;
    this.columns = fields;
    this.unloadedSlots = fields.map(() => UNLOADED);
    this.validated = fields.filter((field) => field.options.validators !== undefined && field.options.validators.length > 0);
    this.defaulted = fields.filter((field) => !field.generated || field.allowNull);
    this.foreignKeys = fields.filter((field) => field.fromColumn !== undefined);
  }

  /** Whether rows are unique on these fields together: the primary key, a unique field, or exactly a unique constraint's or index's fields. */
  isUnique(names: readonly string[]): boolean {
    const wanted = new Set(names);
    const single = wanted.size === 1 ? this.fieldMap.get(names[0]!) : undefined;
    if (single && (single.primaryKey || single.options.unique === true)) return true;
    // An index lists a descending field as "-name".
    const same = (fields: readonly string[]) => fields.length === wanted.size && fields.every((name) => wanted.has(name.replace(/^-/, "")));
    return this.constraints.some((constraint) => constraint.kind === "unique" && same(constraint.fields)) || this.indexes.some((index) => index.unique && same(index.fields));
  }

  /** The field called `name` (or `pk`), or an UnknownFieldError listing those that exist. */
  field(name: string, what = "field", path?: string): Field {
    const field = name === "pk" ? this.pk : this.fieldMap.get(name);
    if (!field) throw this.unknown(name, what, path);
    return field;
  }

  /**
   * Why `name`, a relation to many rows (a many-to-many, or a foreign key's reverse side), cannot be written as a
   * value (create(), bulkCreate(), `instance.name = ...`), and what writes it; undefined where `name` is no such relation.
   */
  relationWrite(name: string): ValidationError | undefined {
    const relation = this.relations.get(name);
    if (!relation || this.fieldMap.has(name)) return undefined;
    const instead = relation.hops
      ? `save the ${this.name}, then link the rows with .${name}.set([...]) or .${name}.add(...)`
      : `it is the other side of ${relation.to.name}.${relation.toField.name}; set that on the ${relation.to.name} rows`;
    return new ValidationError(`${this.name}.${name} is a relation to ${relation.to.name} rows, not a value to write: ${instead}`, this.name, name);
  }

  /** "Album has no field "nope" (in "album__nope"); it has: ..." */
  unknown(name: string, what = "field", path?: string): UnknownFieldError {
    const known = [...new Set(["pk", ...this.fieldMap.keys(), ...this.relations.keys()])].join(", ");
    const where = path && path !== name ? ` (in ${JSON.stringify(path)})` : "";
    return new UnknownFieldError(`${this.name} has no ${what} ${JSON.stringify(name)}${where}; it has: ${known}`);
  }
}
