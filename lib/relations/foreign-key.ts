import { ValidationError } from "../errors.js";
import { Field, describe, type ColumnKind, type FieldOptions } from "../model/fields.js";
import { META, PARTIAL_FROM_DATABASE, rowInstance, type InstanceState, type StubOrigin } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { AnyModelClass, Model, ModelClass } from "../model/model.js";
import { checkRelation } from "../model/placement.js";
import type { Database } from "../database.js";

export type OnDelete = "CASCADE" | "SET NULL" | "RESTRICT";

export interface ForeignKeyOptions extends Omit<FieldOptions<never>, "default" | "primaryKey"> {
  onDelete?: OnDelete;
  /** The reverse accessor on the target model; default: this model's name in camelCase plus "s" (none for OneToOne). */
  relatedName?: string;
}

/** A related model named by class, by its name on the same database, or "self". */
export type RelatedModel = AnyModelClass | "self" | (string & {});

/**
 * A column holding another row's primary key. On an instance it reads as that row: a sparse stub
 * (only the key loaded) until `load()` or `selectRelated()`, or null.
 */
export class ForeignKeyField extends Field {
  #target: ModelClass | undefined;
  // Read past the class's Proxy once: every key validated (a bulkCreate's 10,000) reads it.
  #targetMeta: ModelMeta | undefined;
  declare readonly options: ForeignKeyOptions;

  constructor(
    readonly related: RelatedModel,
    options: ForeignKeyOptions,
    readonly oneToOne: boolean,
  ) {
    // A OneToOne is a unique foreign key: the database, not just quarry, keeps it one-to-one.
    super({ ...options, unique: oneToOne || options.unique });
    const onDelete = options.onDelete ?? "CASCADE";
    if (!["CASCADE", "SET NULL", "RESTRICT"].includes(onDelete)) {
      throw new TypeError(`onDelete must be "CASCADE", "SET NULL" or "RESTRICT", got ${JSON.stringify(onDelete)}`);
    }
    if (onDelete === "SET NULL" && !options.allowNull) throw new TypeError(`onDelete "SET NULL" needs allowNull: true`);
  }

  override copy(): this {
    return new ForeignKeyField(this.related, this.options, this.oneToOne) as this;
  }

  get onDelete(): OnDelete {
    return this.options.onDelete ?? "CASCADE";
  }

  /** The related model's class; resolvable once both models are defined. */
  get target(): ModelClass {
    if (this.#target) return this.#target;
    throw new TypeError(`${this.owner.name}.${this.name}: the related model ${JSON.stringify(this.related)} is not defined on this database yet`);
  }

  get isResolved(): boolean {
    return this.#target !== undefined;
  }

  resolve(target: ModelClass): void {
    this.#target = target;
    this.#targetMeta = target[META];
  }

  get targetMeta(): ModelMeta {
    return this.#targetMeta ?? this.target[META];
  }

  get kind(): ColumnKind {
    return this.typeSource.kind;
  }

  override get typeSource(): Field {
    return this.targetMeta.pk;
  }

  /** The schema's FOREIGN KEY clause reads this. */
  get foreignKey(): { target: ModelMeta; onDelete: OnDelete } {
    return { target: this.targetMeta, onDelete: this.onDelete };
  }

  override defaultColumn(): string {
    return `${this.name}_id`;
  }

  override toColumn(value: unknown): unknown {
    return typeof value === "object" && value !== null ? (value as Model).pk : value;
  }

  /** The stub of the row with this key, read from `away` where that is not the models' database (its load goes there). */
  override readonly fromColumn = (key: unknown, away?: Database): unknown => makeStub(this.target, key, away === undefined ? (this.#stubState ??= this.#newStubState()) : this.#awayStubState(away));
  #stubState: InstanceState | undefined;
  #awayStubStates: WeakMap<Database, InstanceState> | undefined;

  #newStubState(away?: Database): InstanceState {
    return stubState({ model: this.owner.name, field: this.name }, away);
  }

  #awayStubState(away: Database): InstanceState {
    const states = (this.#awayStubStates ??= new WeakMap());
    let state = states.get(away);
    if (!state) states.set(away, (state = this.#newStubState(away)));
    return state;
  }

  // A row of another database is refused (see checkRelation); an unsaved owner takes the row's database.
  override assign(value: unknown, owner?: object): unknown {
    const assigned = this.validate(value);
    if (owner !== undefined) checkRelation(owner, this.name, assigned, undefined);
    return assigned;
  }

  // A key given as text (`filter({ album: req.params.id })`) is read as the related key's lookups read it.
  override validateLookup(value: unknown): unknown {
    if (typeof value !== "string") return this.validate(value);
    let key: unknown = value;
    try {
      key = this.targetMeta.pk.validateLookup(value);
    } catch (error) {
      // Text that is no key is refused by validate() below, in this field's words rather than the key's.
      if (!(error instanceof ValidationError)) throw error;
    }
    return this.validate(key);
  }

  protected check(value: unknown): unknown {
    const target = this.target;
    if (typeof value === "object" && value !== null) {
      if (!(value instanceof target)) {
        throw this.invalid(`expects a ${target[META].name} or its primary key, got ${describe(value)}${modelName(value)}`);
      }
      const { pk } = value as unknown as Model;
      if (pk === undefined || pk === null) {
        throw this.invalid(`was given an unsaved ${target[META].name}: save it first`);
      }
      return value;
    }
    // The key itself: an instance holds it until the field is first read, which builds the stub (fromColumn).
    try {
      return this.targetMeta.pk.validate(value);
    } catch (error) {
      if (error instanceof ValidationError) {
        throw this.invalid(`expects a ${target[META].name} or its primary key, got ${describe(value)}`);
      }
      throw error;
    }
  }
}

function modelName(value: object): string {
  const meta = (value.constructor as Partial<ModelClass>)[META];
  return meta ? ` (a ${meta.name})` : "";
}

/** The state of the stubs one foreign key builds, shared and frozen: ownState copies it before any write. */
function stubState(origin: StubOrigin, database: Database | undefined): InstanceState {
  return Object.freeze({ persisted: true, dirty: undefined, origin, partial: true, validated: false, database });
}

/** A related row of which only the key is known; reading anything else says how to load it. */
function makeStub(target: ModelClass, key: unknown, state: InstanceState): Model {
  const meta = target[META];
  const slots = meta.unloadedSlots.slice();
  slots[meta.pk.slot] = key;
  return rowInstance<Model>(target, slots, PARTIAL_FROM_DATABASE, state);
}
