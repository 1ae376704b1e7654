import { inspect } from "node:util";
import { NoMatch, ValidationError } from "../errors.js";
import { Manager } from "../query/queryset.js";
import { insertRow, updateByPk, deleteByPk } from "../query/persist.js";
import { loadRow } from "../relations/loader.js";
import { ManyToManyField } from "../relations/many-to-many.js";
import { wireRelations } from "../relations/wiring.js";
import { Database } from "../database.js";
import { statementOptions, withStatementOptions, type StatementOptions } from "../statement-bounds.js";
import { redact } from "../url.js";
import { checkSlotRelations, databaseOf, place } from "./placement.js";
import { inspectCustom } from "../node-types.js";
import { describe, Field, IntegerField } from "./fields.js";
import { constraintSpecs, indexSpecs, orderingSpec, unknownKeys } from "./options.js";
import {
  defineFieldAccessors,
  FROM_DATABASE,
  META,
  ownState,
  PARTIAL_FROM_DATABASE,
  rowInstance,
  rowState,
  SLOTS,
  slotsOf,
  STATE,
  toSlots,
  UNLOADED,
  type InstanceState,
  type RowSource,
} from "./instance.js";
import { modelClassProxy } from "./class-proxy.js";
import { ModelMeta } from "./meta.js";
import type { CreateValues, FieldMap, fieldsBrand, PrimaryKeyValue, Values, WithPrimaryKey } from "./types.js";
import { checkComplete, validateSlots, validateValues } from "./validation.js";
import { reservedFieldName } from "./reserved-names.js";

/** What save() takes: where the row goes, and `{ signal, timeoutMs }` for each statement it sends (the hooks' too). */
export interface SaveOptions extends StatementOptions {
  /**
   * The Database to write the row to, in place of the one it was read from (or the router's choice). Where its row is
   * not known to be there (an instance read from another database), the whole row is written, key and all: an UPDATE,
   * or an INSERT where that key has no row yet, so `save({ using })` copies rows between databases. The instance
   * belongs to that database from then on.
   */
  using?: Database;
}

export interface DefineOptions<F extends FieldMap = FieldMap> {
  database: Database;
  /** Defaults to the model's name in snake_case. */
  tablename?: string;
  /** Composite unique constraints (`{ unique: ["artist", "title"] }`) and check constraints (`{ check: { price__gte: 0 }, name }`). */
  constraints?: readonly Constraint<F>[];
  /** Indexes over several fields (`{ fields: ["artist", "-year"], name? }`). */
  indexes?: readonly ModelIndex<F>[];
  /** The default order of the model's QuerySets, as orderBy() takes it: `["-created", "title"]`. */
  ordering?: readonly OrderingName<F>[];
}

type FieldName<F extends FieldMap> = keyof F & string;
export type Constraint<F extends FieldMap = FieldMap> =
  | { readonly unique: readonly FieldName<F>[]; readonly name?: string }
  | { readonly check: string | { readonly [lookup: string]: unknown }; readonly name: string };
export interface ModelIndex<F extends FieldMap = FieldMap> {
  readonly fields: readonly (FieldName<F> | `-${FieldName<F>}`)[];
  readonly name?: string;
  readonly unique?: boolean;
}
export type OrderingName<F extends FieldMap = FieldMap> = FieldName<F> | `-${FieldName<F>}` | `${FieldName<F>}__${string}` | `-${FieldName<F>}__${string}`;

const DEFINE_OPTIONS = ["database", "tablename", "constraints", "indexes", "ordering"];

/** Names an instance needs for its own methods: a field may not take one. */
const RESERVED = new Set(["pk", "save", "update", "delete", "load", "toJSON", "toString", "constructor", "then", "objects"]);

/** What an instance has of its own besides its fields: the names above, and every member of Model.prototype. */
let members: ReadonlySet<string> | undefined;
const instanceMembers = (): ReadonlySet<string> => (members ??= new Set([...RESERVED, ...Object.getOwnPropertyNames(Model.prototype)]));

const managers = new WeakMap<object, Manager<Model>>();

/**
 * The base of every model class. Model.define() makes a subclass bound to a table, whose prototype has an
 * accessor per field (see defineFieldAccessors): reading a field that was never loaded raises instead of
 * silently giving undefined, and a foreign key reads as the related row.
 */
export class Model {
  declare static readonly [META]: ModelMeta;
  declare [STATE]: InstanceState;
  declare [SLOTS]: unknown[];

  /**
   * `data`: field values by name. With FROM_DATABASE or PARTIAL_FROM_DATABASE (quarry's own rows), the
   * instance's slots themselves, in field order, taken as they are.
   */
  constructor(data?: Record<string, unknown> | unknown[], source?: RowSource) {
    // From the prototype: a subclass's rows are built here, and its static lookups go through the model class's Proxy.
    const meta = (new.target.prototype as { [META]?: ModelMeta })[META];
    if (!meta) throw new TypeError("Models are made with Model.define(name, fields, { database })");
    if (source === FROM_DATABASE || source === PARTIAL_FROM_DATABASE) {
      this[STATE] = rowState(source);
      this[SLOTS] = data as unknown[];
      return;
    }
    this[STATE] = { persisted: false, dirty: undefined, origin: undefined, partial: false, validated: true };
    this[SLOTS] = validateSlots(meta, (data as Record<string, unknown> | undefined) ?? {}, { partial: true, applyDefaults: true });
  }

  static define<const F extends FieldMap>(name: string, fields: F, options: DefineOptions<WithPrimaryKey<F>>): ModelClass<WithPrimaryKey<F>> {
    checkDefineOptions(name, options);
    const { declared, manyToMany } = declaredFields(name, fields);
    const tablename = options.tablename ?? snakeCase(name);
    const fieldMap = new Map(declared.map((field) => [field.name, field]));
    const meta = new ModelMeta(name, tablename, declared, options.database, {
      constraints: constraintSpecs(name, tablename, options.constraints, fieldMap),
      indexes: indexSpecs(name, tablename, options.indexes, fieldMap),
      ordering: orderingSpec(name, options.ordering),
    });
    for (const field of [...declared, ...manyToMany]) field.owner = meta;
    meta.manyToMany.push(...manyToMany);
    const raw = { [name]: class extends Model {} }[name]!;
    const defined = modelClassProxy(raw);
    Object.defineProperty(raw, META, { value: meta });
    // Instances find their meta on their prototype, and their constructor is the class the user holds.
    Object.defineProperty(raw.prototype, META, { value: meta });
    Object.defineProperty(raw.prototype, "constructor", { value: defined, writable: true, configurable: true });
    defineFieldAccessors(raw.prototype, meta);
    meta.model = meta.definedModel = defined as unknown as ModelClass;
    meta.shapeKeeper = rowInstance(defined, [...meta.unloadedSlots], PARTIAL_FROM_DATABASE);
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
    return this[SLOTS][metaOf(this).pk.slot];
  }

  set pk(value: unknown) {
    (this as unknown as Record<string, unknown>)[metaOf(this).pk.name] = value;
  }

  /**
   * INSERT when new, else UPDATE of the fields assigned since it was loaded. Every field is checked (types,
   * `validators`) and then clean() runs, before any SQL: a ValidationError lists every problem. Where the model
   * overrides beforeSave or afterSave, they run with the write in one transaction. The row goes to the database the
   * instance was read from (or `{ using }`, or the router's choice; see SaveOptions).
   */
  save(options: SaveOptions = {}): Promise<this> {
    // Not a private method: a partial row calls it through its Proxy, which has no private fields.
    return withStatementOptions(options, () => saveInstance(this, options.using));
  }

  /**
   * The model's own check of an instance about to be saved, after every field passed its own: return
   * `{ field: "message" }` for what is wrong (or throw a ValidationError); save() then refuses it. Override it.
   */
  clean(): Record<string, string> | void | Promise<Record<string, string> | void> {}

  /** Runs in save()'s transaction before its INSERT or UPDATE; an assignment here is saved too. Override it. */
  beforeSave(): void | Promise<void> {}

  /** Runs in save()'s transaction after its INSERT (`created`) or UPDATE; throwing rolls the save back. Override it. */
  afterSave(created: boolean): void | Promise<void> {
    void created;
  }

  /** Runs in delete()'s transaction before its DELETE. Override it. */
  beforeDelete(): void | Promise<void> {}

  /** Runs in delete()'s transaction after its DELETE; throwing rolls the delete back. Override it. */
  afterDelete(): void | Promise<void> {}

  /** Sets these fields and persists them (and autoNow fields) in one UPDATE, bounded by `{ signal, timeoutMs }`. */
  async update(values: Record<string, unknown>, options?: StatementOptions): Promise<this> {
    const meta = metaOf(this);
    const checked = validateValues(meta, values, { partial: true });
    for (const field of meta.fields) {
      if ((field.options as { autoNow?: boolean }).autoNow && !(field.name in checked)) checked[field.name] = new Date();
    }
    if (Object.keys(checked).length > 0) await withStatementOptions(options, () => updateByPk(meta, place(meta, true, undefined, this), this.pk, checked));
    const slots = slotsOf(this);
    for (const name in checked) slots[meta.field(name).slot] = checked[name];
    return this;
  }

  /** Deletes the instance's row (beforeDelete and afterDelete, where overridden, in one transaction with it); `{ signal, timeoutMs }` bound its statements. */
  delete(options?: StatementOptions): Promise<void> {
    return withStatementOptions(options, () => deleteInstance(this));
  }

  /**
   * Reads every field from the database into this instance; a stub becomes a full instance. With
   * `{ signal, timeoutMs }` its SELECT goes alone, not batched with other loads of the same tick.
   */
  async load(options?: StatementOptions): Promise<this> {
    const meta = metaOf(this);
    const values = await loadRow(meta, place(meta, false, undefined, this), this.pk, this[STATE].origin, statementOptions(options));
    if (!values) throw new NoMatch(`${meta.name} with ${meta.pk.name}=${formatPk(this.pk)} does not exist (deleted?)`);
    this[SLOTS] = toSlots(meta, values);
    const state = ownState(this);
    state.partial = false;
    state.origin = undefined;
    state.dirty = undefined;
    state.persisted = true;
    state.validated = false;
    return this;
  }

  /** A plain object of the loaded fields: `res.json(note)` and JSON.stringify just work. */
  toJSON(): Record<string, unknown> {
    const slots = slotsOf(this);
    const json: Record<string, unknown> = {};
    for (const field of metaOf(this).fields) {
      const value = slots[field.slot];
      if (value !== undefined && value !== UNLOADED) json[field.name] = jsonValue(value);
    }
    return json;
  }

  toString(): string {
    const meta = metaOf(this);
    const pk = slotsOf(this)[meta.pk.slot];
    return `${meta.name}(${meta.pk.name}=${formatPk(pk)})${this[STATE].origin ? " [sparse]" : ""}`;
  }

  /** `Note(id=1, text='Call Mum.', completed=true)`: the loaded fields (a foreign key as its row's key); a stub stays `Album(id=1) [sparse]`. */
  [inspectCustom](): string {
    if (this[STATE].origin) return this.toString();
    const meta = metaOf(this);
    const slots = slotsOf(this);
    const shown: string[] = [];
    for (const field of meta.fields) {
      const value = slots[field.slot];
      if (value === UNLOADED || value === undefined) continue;
      const related = value instanceof Model || (field.typeSource !== field && value !== null);
      shown.push(`${field.name}=${related ? relatedText(field, value) : inspect(value, INSPECT_VALUE)}`);
    }
    return `${meta.name}(${shown.join(", ")})`;
  }
}

const INSPECT_VALUE = { depth: 2, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 200 } as const;

/** A foreign key's value for inspect: `Album(id=1)`, whether it holds the key, a stub or the loaded row. */
function relatedText(field: Field, value: unknown): string {
  const key = value instanceof Model ? value.pk : value;
  const target = value instanceof Model ? metaOf(value) : field.typeSource.owner;
  return `${target.name}(${field.typeSource.name}=${formatPk(key)})`;
}

/**
 * `orm.ModelClass` with no fields named is any model class: its rows are any instance, and since no values suit
 * every model, it constructs from none (a model subclass with declared relations fits it too).
 */
type Wide<F extends FieldMap> = string extends keyof F ? true : false;
type InstanceOf<F extends FieldMap> = Wide<F> extends true ? InstanceMethods : Instance<F>;

/** The class Model.define returns: construct instances, reach rows through `objects`. */
export interface ModelClass<F extends FieldMap = FieldMap> {
  new (data?: Wide<F> extends true ? never : CreateValues<F>): InstanceOf<F>;
  readonly [META]: ModelMeta;
  readonly fields: F;
  readonly pkname: string;
  readonly tablename: string;
  readonly database: Database;
  /** Subclasses: `declare static objects: orm.Manager<Note>` types rows as the subclass (TypeScript cannot infer it for statics). */
  readonly objects: Manager<InstanceOf<F>>;
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
  save(options?: SaveOptions): Promise<this>;
  update(values: Partial<CreateValues<F>>, options?: StatementOptions): Promise<this>;
  delete(options?: StatementOptions): Promise<void>;
  load(options?: StatementOptions): Promise<this>;
  toJSON(): Record<string, unknown>;
  /** Override: the model's check before save(), after the fields' own; return `{ field: "message" }` to refuse. */
  clean(): Record<string, string> | void | Promise<Record<string, string> | void>;
  /** Override: runs in save()'s transaction before the write. */
  beforeSave(): void | Promise<void>;
  /** Override: runs in save()'s transaction after the write; `created` for an INSERT. */
  afterSave(created: boolean): void | Promise<void>;
  /** Override: runs in delete()'s transaction before the DELETE. */
  beforeDelete(): void | Promise<void>;
  /** Override: runs in delete()'s transaction after the DELETE. */
  afterDelete(): void | Promise<void>;
}

function metaOf(instance: object): ModelMeta {
  return (instance as { [META]: ModelMeta })[META];
}

/** BigInts as strings (JSON has none); a related row as its key when sparse, as an object when loaded. */
function jsonValue(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Model) return value[STATE].origin ? jsonValue(value.pk) : value.toJSON();
  return value;
}

/** save() of `instance`, within its bounds. */
async function saveInstance<M extends Model>(instance: M, using: Database | undefined): Promise<M> {
  const meta = metaOf(instance);
  if (using !== undefined && !(using instanceof Database)) throw new TypeError(`${meta.name}.save({ using }) takes an orm.Database, got ${describe(using)}`);
  const current = databaseOf(instance);
  const database = place(meta, true, using, instance);
  const state = ownState(instance);
  const copying = state.persisted && database !== current;
  if (copying && state.partial) {
    throw new ValidationError(`${meta.name}(${meta.pk.name}=${formatPk(instance.pk)}) cannot be copied to ${database} with save({ using }): some of its fields were never loaded; load() it first`, meta.name);
  }
  const inserting = !state.persisted;
  checkSlotRelations(meta, slotsOf(instance), current ?? database);
  touchAutoNow(meta, instance as unknown as Record<string, unknown>, inserting);
  const checked = checkedWrite(instance, meta, inserting || copying);
  if (instance.clean !== Model.prototype.clean) await cleaned(instance, meta);
  if (instance.beforeSave === Model.prototype.beforeSave && instance.afterSave === Model.prototype.afterSave) {
    await write(instance, meta, database, inserting, copying, checked);
    return instance;
  }
  const pk = instance.pk;
  try {
    await database.transaction(async () => {
      await instance.beforeSave();
      await write(instance, meta, database, inserting, copying, checkedWrite(instance, meta, inserting || copying));
      await instance.afterSave(inserting);
    });
  } catch (error) {
    // Rolled back: an inserted instance is unsaved again, with the key it had.
    if (inserting) {
      state.persisted = false;
      slotsOf(instance)[meta.pk.slot] = pk;
    }
    throw error;
  }
  return instance;
}

/** delete() of `instance`, within its bounds. */
async function deleteInstance(instance: Model): Promise<void> {
  const meta = metaOf(instance);
  const pk = instance.pk;
  if (pk === undefined || pk === null) {
    throw new ValidationError(`${meta.name} cannot be deleted: it was never saved (it has no ${meta.pk.name}); save() it first, or leave it unsaved`, meta.name, meta.pk.name);
  }
  const database = place(meta, true, undefined, instance);
  if (instance.beforeDelete === Model.prototype.beforeDelete && instance.afterDelete === Model.prototype.afterDelete) {
    await deleteByPk(meta, database, pk);
  } else {
    await database.transaction(async () => {
      await instance.beforeDelete();
      await deleteByPk(meta, database, pk);
      await instance.afterDelete();
    });
  }
  ownState(instance).persisted = false;
}

/** What save() writes, every field checked: an unsaved (or copied) instance's slots, or the changed values of a saved one. */
function checkedWrite(instance: Model, meta: ModelMeta, wholeRow: boolean): unknown[] | Record<string, unknown> {
  const state = ownState(instance);
  if (wholeRow) {
    const slots = slotsOf(instance);
    if (!isUntouched(meta, state)) return validateSlots(meta, ownValues(instance), { partial: false, applyDefaults: true });
    checkComplete(meta, slots);
    return slots;
  }
  const self = instance as unknown as Record<string, unknown>;
  return validateValues(meta, Object.fromEntries(changedFields(meta, state).map((name) => [name, self[name]])), { partial: true });
}

/**
 * Sends what checkedWrite gave to `database`: the INSERT of the slots, the UPDATE of the changed values, or for a copy
 * the UPDATE of the whole row, and its INSERT where that key has no row there. The instance belongs there afterwards.
 */
async function write(instance: Model, meta: ModelMeta, database: Database, inserting: boolean, copying: boolean, checked: unknown[] | Record<string, unknown>): Promise<void> {
  if (inserting) {
    markSaved(instance, await insertRow(meta, database, checked as unknown[]));
    if (meta.database.nPlusOne.active) meta.database.nPlusOne.created(meta.name, instance.pk, instance);
  } else if (copying) {
    const slots = checked as unknown[];
    const values = Object.fromEntries(meta.fields.filter((field) => field !== meta.pk && slots[field.slot] !== undefined).map((field) => [field.name, slots[field.slot]]));
    if (!(await updateByPk(meta, database, instance.pk, values, true))) await insertRow(meta, database, slots);
  } else if (Object.keys(checked).length > 0) await updateByPk(meta, database, instance.pk, checked as Record<string, unknown>);
  const state = ownState(instance);
  state.dirty = undefined;
  state.database = database === meta.database ? undefined : database;
}

/** clean()'s verdict: the problems it returns (or throws) as one ValidationError. */
async function cleaned(instance: Model, meta: ModelMeta): Promise<void> {
  const problems = await instance.clean();
  if (!problems) return;
  const errors = Object.entries(problems).map(([field, message]) => new ValidationError(`${meta.name}.${field} ${message}`, meta.name, field));
  if (errors.length > 0) throw ValidationError.of(meta.name, errors);
}

/** The field values an unsaved instance holds. */
function ownValues(instance: object): Record<string, unknown> {
  const slots = slotsOf(instance);
  const values: Record<string, unknown> = {};
  for (const field of metaOf(instance).fields) if (slots[field.slot] !== undefined) values[field.name] = slots[field.slot];
  return values;
}

/** Records that an instance's row now exists, with the key the database gave it. */
function markSaved(instance: object, pk: unknown): void {
  const state = ownState(instance);
  slotsOf(instance)[metaOf(instance).pk.slot] = pk;
  state.persisted = true;
  state.dirty = undefined;
}

/**
 * The instance holds the values validateValues gave its constructor, none assigned since. Not with JSON
 * fields, whose values can change in place where no assignment shows.
 */
function isUntouched(meta: ModelMeta, state: InstanceState): boolean {
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

function checkDefineOptions(name: string, options: DefineOptions | undefined): void {
  if (typeof name !== "string" || !/^[A-Za-z_$][\w$]*$/.test(name)) throw new TypeError(`Model.define() needs a model name such as "Note", got ${JSON.stringify(name)}`);
  if (options === null || typeof options !== "object") throw new TypeError(`Model.define("${name}", fields, { database }) needs its options`);
  unknownKeys(`Model.define("${name}")`, options, DEFINE_OPTIONS);
  const database: unknown = options.database;
  if (!(database instanceof Database)) {
    const given = typeof database === "string" ? `the string ${JSON.stringify(redact(database))}` : database === undefined ? "nothing" : describe(database);
    throw new TypeError(`Model.define("${name}") needs { database: new orm.Database(url) }, got ${given}${typeof database === "string" ? ": make the Database once and pass it to every model" : ""}`);
  }
  if (options.tablename !== undefined && (typeof options.tablename !== "string" || options.tablename === "")) {
    throw new TypeError(`Model.define("${name}"): tablename must be a non-empty string, got ${JSON.stringify(options.tablename)}`);
  }
}

/** The fields with a column, in slot order (an `id` key first where none is declared), and the many-to-many declarations. */
function declaredFields(name: string, fields: FieldMap): { declared: Field[]; manyToMany: ManyToManyField[] } {
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) throw new TypeError(`Model.define("${name}") needs an object of fields, such as { text: orm.String() }`);
  const declared: Field[] = [];
  const manyToMany: ManyToManyField[] = [];
  const keys = Object.entries(fields).filter(([, field]) => (field as unknown) instanceof Field && field.primaryKey).map(([key]) => key);
  if (keys.length > 1) throw new TypeError(`${name}: ${keys.join(" and ")} are both primaryKey; a model has one primary key (composite keys: a unique constraint)`);
  if (keys.length === 0) {
    if ("id" in fields) {
      throw new TypeError(`${name}.id: a field called "id" is the primary key: add primaryKey: true, or leave it out and Model.define adds id = orm.Integer({ primaryKey: true })`);
    }
    const id = new IntegerField({ primaryKey: true });
    id.name = "id";
    declared.push(id);
  }
  for (const [fieldName, field] of Object.entries(fields)) {
    const reserved = reservedFieldName(fieldName, instanceMembers());
    if (reserved) throw new TypeError(`${name}: a field may not be called "${fieldName}" (${reserved})`);
    if ((field as unknown) instanceof ManyToManyField) {
      const relation = field as unknown as ManyToManyField;
      if (relation.name) throw new TypeError(`${name}.${fieldName}: this ManyToMany already belongs to ${relation.owner.name}.${relation.name}; make a new one, or share fields with orm.fields()`);
      relation.name = fieldName;
      manyToMany.push(relation);
      continue;
    }
    if (!((field as unknown) instanceof Field)) {
      const constructor = typeof field === "function" ? (field as { name?: string }).name : undefined;
      const hint = constructor ? `: call it, orm.${constructor}()` : ", such as orm.String()";
      throw new TypeError(`${name}.${fieldName} must be a field${hint}; got ${typeof field === "function" ? `the function ${constructor || "(anonymous)"} itself` : describe(field)}`);
    }
    if (field.name) throw new TypeError(`${name}.${fieldName}: this field object already belongs to ${field.owner.name}.${field.name}; make a new one, or share fields with orm.fields()`);
    field.name = fieldName;
    declared.push(field);
  }
  declared.forEach((field, slot) => {
    field.column ||= field.options.column ?? field.defaultColumn();
    field.slot = slot;
  });
  return { declared, manyToMany };
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

