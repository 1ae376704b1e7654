import { inspect } from "node:util";
import type { Database } from "../database.js";
import { NoMatch } from "../errors.js";
import { Manager } from "../query/queryset.js";
import { insertRow, updateByPk, deleteByPk } from "../query/persist.js";
import { loadRow } from "../relations/loader.js";
import { wireRelations } from "../relations/wiring.js";
import { IntegerField, type Field } from "./fields.js";
import {
  FROM_DATABASE,
  instanceHandler,
  META,
  PARTIAL_FROM_DATABASE,
  STATE,
  TARGET,
  type InstanceState,
  type InstanceTarget,
  type RowSource,
} from "./instance.js";
import { ModelMeta } from "./meta.js";
import type { CreateValues, FieldMap, fieldsBrand, PrimaryKeyValue, Values, WithPrimaryKey } from "./types.js";
import { validateValues } from "./validation.js";

export interface DefineOptions {
  database: Database;
  /** Defaults to the model's name in snake_case. */
  tablename?: string;
}

/** Names an instance needs for its own methods: a field may not take one. */
const RESERVED = new Set(["pk", "save", "update", "delete", "load", "toJSON", "toString", "constructor", "then", "objects"]);

const managers = new WeakMap<object, Manager<Model>>();

/**
 * The base of every model class. Model.define() makes a subclass bound to a table; `new` on it
 * returns a Proxy over the instance, so reading a field that was never loaded raises instead of
 * silently giving undefined.
 */
export class Model {
  declare static readonly [META]: ModelMeta;
  declare [STATE]: InstanceState;

  constructor(data?: Record<string, unknown>, source?: RowSource) {
    const meta = (new.target as unknown as typeof Model)[META];
    if (!meta) throw new TypeError("Models are made with Model.define(name, fields, { database })");
    const fromDatabase = source === FROM_DATABASE || source === PARTIAL_FROM_DATABASE;
    this[STATE] = {
      persisted: fromDatabase,
      dirty: undefined,
      origin: undefined,
      partial: source === PARTIAL_FROM_DATABASE,
      unbuilt: meta.builtOnRead.size > 0,
      validated: !fromDatabase,
    };
    Object.assign(this, fromDatabase ? data : validateValues(meta, data ?? {}, { partial: true, applyDefaults: true }));
    return new Proxy(this as unknown as InstanceTarget, instanceHandler) as unknown as this;
  }

  static define<const F extends FieldMap>(name: string, fields: F, options: DefineOptions): ModelClass<WithPrimaryKey<F>> {
    if (!options?.database) throw new TypeError(`Model.define("${name}") needs { database }`);
    const declared: Field[] = [];
    if (!Object.values(fields).some((field) => field.primaryKey)) {
      const id = new IntegerField({ primaryKey: true });
      id.name = "id";
      declared.push(id);
    }
    for (const [fieldName, field] of Object.entries(fields)) {
      if (RESERVED.has(fieldName)) throw new TypeError(`${name}: a field may not be called "${fieldName}" (an instance needs that name)`);
      if (field.name) throw new TypeError(`${name}.${fieldName}: this field object already belongs to ${field.owner.name}.${field.name}; make a new one`);
      field.name = fieldName;
      declared.push(field);
    }
    for (const field of declared) field.column ||= field.options.column ?? field.defaultColumn();
    const meta = new ModelMeta(name, options.tablename ?? snakeCase(name), declared, options.database);
    for (const field of declared) field.owner = meta;
    const defined = { [name]: class extends Model {} }[name]!;
    Object.defineProperty(defined, META, { value: meta });
    meta.model = defined as unknown as ModelClass;
    options.database.register(meta);
    wireRelations(options.database);
    return defined as unknown as ModelClass<WithPrimaryKey<F>>;
  }

  /** The fields, by name, in declaration order. */
  static get fields(): Record<string, Field> {
    return Object.fromEntries(this[META].fields.map((field) => [field.name, field]));
  }

  static get pkname(): string {
    return this[META].pk.name;
  }

  static get tablename(): string {
    return this[META].tablename;
  }

  static get database(): Database {
    return this[META].database;
  }

  static get objects(): Manager<Model> {
    // `class Note extends Model.define(...)`: rows reached through relations become the subclass too.
    const meta = this[META];
    if (this !== (meta.model as unknown) && this.prototype instanceof (meta.model as unknown as typeof Model)) {
      meta.model = this as unknown as ModelClass;
    }
    let manager = managers.get(this);
    if (!manager) managers.set(this, (manager = new Manager<Model>(this as unknown as ModelClass)));
    return manager;
  }

  get pk(): unknown {
    return (this as unknown as Record<string, unknown>)[metaOf(this).pk.name];
  }

  set pk(value: unknown) {
    (this as unknown as Record<string, unknown>)[metaOf(this).pk.name] = value;
  }

  /** INSERT when new, else UPDATE of the fields assigned since it was loaded. */
  async save(): Promise<this> {
    const meta = metaOf(this);
    const state = this[STATE];
    const self = this as unknown as Record<string, unknown>;
    touchAutoNow(meta, self, !state.persisted);
    if (!state.persisted) {
      const values = validateValues(meta, ownValues(this), { partial: false, applyDefaults: true, trusted: isUntouched(meta, state) });
      markSaved(this, await insertRow(meta, values));
    } else {
      const names = changedFields(meta, state);
      if (names.length > 0) {
        const values = validateValues(meta, Object.fromEntries(names.map((name) => [name, self[name]])), { partial: true });
        await updateByPk(meta, this.pk, values);
      }
    }
    state.dirty = undefined;
    return this;
  }

  /** Sets these fields and persists them (and autoNow fields) in one UPDATE. */
  async update(values: Record<string, unknown>): Promise<this> {
    const meta = metaOf(this);
    const checked = validateValues(meta, values, { partial: true });
    for (const field of meta.fields) {
      if ((field.options as { autoNow?: boolean }).autoNow && !(field.name in checked)) checked[field.name] = new Date();
    }
    if (Object.keys(checked).length > 0) await updateByPk(meta, this.pk, checked);
    Object.assign(unwrap(this), checked);
    return this;
  }

  async delete(): Promise<void> {
    await deleteByPk(metaOf(this), this.pk);
    this[STATE].persisted = false;
  }

  /** Reads every field from the database into this instance; a stub becomes a full instance. */
  async load(): Promise<this> {
    const meta = metaOf(this);
    const values = await loadRow(meta, this.pk);
    if (!values) throw new NoMatch(`${meta.name} with ${meta.pk.name}=${formatPk(this.pk)} does not exist (deleted?)`);
    Object.assign(unwrap(this), values);
    const state = this[STATE];
    state.partial = false;
    state.unbuilt = meta.builtOnRead.size > 0;
    state.origin = undefined;
    state.dirty = undefined;
    state.persisted = true;
    state.validated = false;
    return this;
  }

  /** A plain object of the loaded fields: `res.json(note)` and JSON.stringify just work. */
  toJSON(): Record<string, unknown> {
    const target = unwrap(this);
    const json: Record<string, unknown> = {};
    for (const field of metaOf(this).fields) {
      if (!Object.hasOwn(target, field.name)) continue;
      json[field.name] = jsonValue(target[field.name]);
    }
    return json;
  }

  toString(): string {
    const meta = metaOf(this);
    const pk = Reflect.get(unwrap(this), meta.pk.name);
    return `${meta.name}(${meta.pk.name}=${formatPk(pk)})${this[STATE].origin ? " [sparse]" : ""}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** The class Model.define returns: construct instances, reach rows through `objects`. */
export interface ModelClass<F extends FieldMap = FieldMap> {
  new (data?: CreateValues<F>): Instance<F>;
  readonly [META]: ModelMeta;
  readonly fields: F;
  readonly pkname: string;
  readonly tablename: string;
  readonly database: Database;
  /** Subclasses: `declare static objects: orm.Manager<Note>` types rows as the subclass (TypeScript cannot infer it for statics). */
  readonly objects: Manager<Instance<F>>;
}

/** Any model class, whatever its fields: what relations and helpers accept. */
export interface AnyModelClass {
  new (...args: never[]): object;
  readonly [META]: ModelMeta;
  readonly prototype: object;
}

/** An instance: the fields' values and the active-record methods. */
export type Instance<F extends FieldMap = FieldMap> = Values<F> & InstanceMethods<F>;

export interface InstanceMethods<F extends FieldMap = FieldMap> {
  readonly [fieldsBrand]?: F;
  pk: PrimaryKeyValue<F>;
  save(): Promise<this>;
  update(values: Partial<CreateValues<F>>): Promise<this>;
  delete(): Promise<void>;
  load(): Promise<this>;
  toJSON(): Record<string, unknown>;
}

// Instances are Proxies, and #private members refuse a Proxy receiver: helpers take the instance instead.
function metaOf(instance: Model): ModelMeta {
  return (instance.constructor as typeof Model)[META];
}

/** Each Proxy's target: writes that load rows must not count as user assignments, so they skip the Proxy. */
export function unwrap(instance: object): InstanceTarget {
  return ((instance as { [TARGET]?: InstanceTarget })[TARGET] ?? instance) as InstanceTarget;
}

/** BigInts as strings (JSON has none); a related row as its key when sparse, as an object when loaded. */
function jsonValue(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Model) {
    const target = unwrap(value);
    return target[STATE].origin ? jsonValue(Reflect.get(target, metaOf(value).pk.name)) : value.toJSON();
  }
  return value;
}

/** The field values an unsaved instance holds. */
export function ownValues(instance: object): Record<string, unknown> {
  const target = unwrap(instance);
  const values: Record<string, unknown> = {};
  for (const field of target.constructor[META].fields) if (target[field.name] !== undefined) values[field.name] = target[field.name];
  return values;
}

/** Records that an instance's row now exists, with the key the database gave it. */
export function markSaved(instance: object, pk: unknown): void {
  const target = unwrap(instance);
  target[target.constructor[META].pk.name] = pk;
  target[STATE].persisted = true;
  target[STATE].dirty = undefined;
}

/**
 * The instance holds the values validateValues gave its constructor, none assigned since. Not with JSON
 * fields, whose values can change in place where no assignment shows.
 */
export function isUntouched(meta: ModelMeta, state: InstanceState): boolean {
  return state.validated === true && state.dirty === undefined && !meta.fields.some((field) => field.kind === "json");
}

function changedFields(meta: ModelMeta, state: InstanceState): string[] {
  const names = new Set(state.dirty);
  // JSON values can change in place, where no assignment marks them dirty.
  for (const field of meta.fields) if (field.kind === "json" && !state.partial) names.add(field.name);
  names.delete(meta.pk.name);
  return [...names];
}

function touchAutoNow(meta: ModelMeta, self: Record<string, unknown>, inserting: boolean): void {
  for (const field of meta.fields) {
    const options = field.options as { autoNow?: boolean; autoNowAdd?: boolean };
    if (options.autoNow || (inserting && options.autoNowAdd && self[field.name] === undefined)) self[field.name] = new Date();
  }
}

export function formatPk(pk: unknown): string {
  return typeof pk === "string" ? JSON.stringify(pk) : String(pk);
}

export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

