import { UnloadedFieldError } from "../errors.js";
import type { Field } from "./fields.js";
import type { ModelMeta } from "./meta.js";
import type { Database } from "../database.js";

export const META = Symbol("quarry.meta");
export const STATE = Symbol("quarry.state");
/** An instance's field values, one slot per field in declaration order (Field.slot). */
export const SLOTS = Symbol("quarry.slots");
/** Passed as the constructor's second argument when rows come from the database: no validation, no defaults. */
export const FROM_DATABASE = Symbol("quarry.fromDatabase");
/** Likewise, for rows that carry only some fields (a stub, only(), defer()). */
export const PARTIAL_FROM_DATABASE = Symbol("quarry.partialFromDatabase");
export type RowSource = typeof FROM_DATABASE | typeof PARTIAL_FROM_DATABASE;
/** The slot of a field a partial row never loaded: reading it raises UnloadedFieldError. */
export const UNLOADED = Symbol("quarry.unloaded");

export interface InstanceState {
  /** The row exists in the database (the instance came from it, or was saved). */
  persisted: boolean;
  /** Fields assigned since the last load or save. */
  dirty: Set<string> | undefined;
  /** For a sparse foreign-key stub: the instance and field it hangs from, to say how to load it. */
  origin: StubOrigin | undefined;
  /** Some declared fields were never loaded (a stub, or only()/defer()). */
  partial: boolean;
  /** Built from user values, which validateValues checked: until one is assigned, save() need not check them again. */
  validated?: boolean;
  /** Rows prefetchRelated loaded for reverse relations, by relation name. */
  prefetched?: Map<string, readonly object[]>;
  /**
   * The database the row was read from or saved to, where that is not its model's own (Django's `_state.db`):
   * save(), delete(), load() and its relations' loads go there. Undefined for the model's database (or none yet).
   */
  database?: Database;
}

/**
 * The state of every row read whole from the database until something changes it: shared, so that reading
 * rows costs no state object each. Whatever writes to a state takes the instance's own first (ownState).
 */
const LOADED: Readonly<InstanceState> = Object.freeze({ persisted: true, dirty: undefined, origin: undefined, partial: false, validated: false });
/** Likewise, for the rows read with only some of their fields (only(), defer()). */
const PARTIALLY_LOADED: Readonly<InstanceState> = Object.freeze({ ...LOADED, partial: true });

/** The instance's state, its own from now on (a copy of a shared, frozen one the first time: a row's or a stub's), to write to. */
export function ownState(instance: object): InstanceState {
  const internals = instance as InstanceInternals;
  const state = internals[STATE];
  if (!Object.isFrozen(state)) return state;
  // Copied field by field: V8 spreads a frozen object on its slow path, at twice the cost (prefetchRelated takes one per owner).
  const { persisted, dirty, origin, partial, validated, prefetched, database } = state;
  return (internals[STATE] = { persisted, dirty, origin, partial, validated, prefetched, database });
}

export interface StubOrigin {
  readonly model: string;
  readonly field: string;
}

/** The instance's state, to read: rows share a frozen one until one of them changes (see ownState). */
export function stateOf(instance: object): Readonly<InstanceState> {
  return (instance as InstanceInternals)[STATE];
}

/** What quarry keeps on every instance, beside the class it belongs to. */
export interface InstanceInternals {
  [STATE]: InstanceState;
  [SLOTS]: unknown[];
  constructor: { [META]: ModelMeta };
}

/** An instance's field slots: quarry's own writes go here, where they count as no assignment. */
export function slotsOf(instance: object): unknown[] {
  return (instance as InstanceInternals)[SLOTS];
}

/** By database other than their model's: the shared states of its rows, whole and partial. */
const awayStates = new WeakMap<Database, readonly [InstanceState, InstanceState]>();

/**
 * A row's state, shared by every row read the same way until one is written (see ownState); `away` is the database it
 * was read from where that is not its model's own.
 */
export function rowState(source: RowSource, away?: Database): InstanceState {
  if (away === undefined) return source === FROM_DATABASE ? LOADED : PARTIALLY_LOADED;
  let states = awayStates.get(away);
  if (!states) awayStates.set(away, (states = [Object.freeze({ ...LOADED, database: away }), Object.freeze({ ...PARTIALLY_LOADED, database: away })]));
  return states[source === FROM_DATABASE ? 0 : 1];
}

/**
 * An instance of `model` holding these slots as they are: a row quarry read or wrote. A row of the class
 * Model.define made is not constructed but created on its prototype (half the cost of a `new`, which runs two
 * constructors); a subclass's rows go through its constructor (see Model's), so its own constructor and class
 * fields run for them as for any instance of it.
 */
export function rowInstance<T = object>(model: object, slots: unknown[], source: RowSource, state: InstanceState = rowState(source)): T {
  const modelClass = model as RowClass<T>;
  const instance = (modelClass as object) === modelClass[META].definedModel ? (Object.create(modelClass.prototype) as T) : new modelClass(slots, source);
  return withRow(instance, state, slots);
}

type RowClass<T> = { prototype: object; [META]: ModelMeta } & (new (slots: unknown[], source: RowSource) => T);

/** By model, then by state: the rowMaker of each, made once (weakly: a state names the database it was read from). */
const makers = new WeakMap<object, WeakMap<InstanceState, (slots: unknown[]) => object>>();

/**
 * rowInstance settled once, for the many rows of one model that a SELECT or a bulkCreate makes: each row then
 * costs no test of its class. Kept, not made per call: a function made per call is compiled again for each call
 * that runs it hot (10,000 rows), and runs unoptimized until it is.
 */
export function rowMaker<T = object>(model: object, state: InstanceState): (slots: unknown[]) => T {
  let byState = makers.get(model);
  if (!byState) makers.set(model, (byState = new WeakMap()));
  let make = byState.get(state);
  if (!make) byState.set(state, (make = newRowMaker(model as RowClass<object>, state)));
  return make as (slots: unknown[]) => T;
}

function newRowMaker<T>(modelClass: RowClass<T>, state: InstanceState): (slots: unknown[]) => T {
  if ((modelClass as object) === modelClass[META].definedModel) {
    const { prototype } = modelClass;
    return (slots) => withRow(Object.create(prototype), state, slots);
  }
  const source = state.partial ? PARTIAL_FROM_DATABASE : FROM_DATABASE;
  return (slots) => withRow(new modelClass(slots, source), state, slots);
}

function withRow<T>(instance: T, state: InstanceState, slots: unknown[]): T {
  const internals = instance as InstanceInternals;
  internals[STATE] = state;
  internals[SLOTS] = slots;
  return state.partial ? (new Proxy(internals, PARTIAL_ROW) as T) : instance;
}

/**
 * A row with unloaded fields (a sparse stub, an only()/defer() row) is a Proxy with this handler: reading a
 * field it never loaded raises UnloadedFieldError saying how to load it. Every other name, loaded fields and
 * methods, symbols and framework probes (`then`, `toJSON`) included, reads as on the instance itself. Whole
 * rows are no Proxy: their fields are the prototype's accessors, read as fast as plain properties.
 */
const PARTIAL_ROW: ProxyHandler<InstanceInternals> = {
  get(target, property, receiver) {
    const row = target as unknown as Record<PropertyKey, unknown>;
    // quarry's own symbols (slots, state, meta) are data: read on the instance itself, with no second trap.
    if (typeof property === "symbol") return row[property];
    const meta = row[META] as ModelMeta;
    // A stub's key, its commonest read, without the pk getter's own reads through this trap.
    if (property === "pk") return target[SLOTS][meta.pk.slot];
    const field = meta.fieldMap.get(property);
    if (field === undefined) return Reflect.get(target, property, receiver); // a method or getter sees the Proxy as `this`
    if (target[SLOTS][field.slot] === UNLOADED) throw unloadedField(target, meta, property);
    return row[property];
  },
  set(target, property, value, receiver) {
    if (typeof property === "symbol") return Reflect.set(target, property, value);
    return Reflect.set(target, property, value, receiver);
  },
};

/** The slots for these field values by name (undefined where none is given). */
export function toSlots(meta: ModelMeta, values: Record<string, unknown>): unknown[] {
  const slots = new Array<unknown>(meta.fields.length);
  for (const field of meta.fields) slots[field.slot] = values[field.name];
  return slots;
}

/**
 * Each field is an accessor on its model's prototype, reading the instance's slot: a row costs one array and
 * no closure, a read costs what a property read costs. The accessor is where a foreign key holding its key builds
 * its stub on first read (rows whose relations are never read build none), and where an assignment is checked
 * and marked dirty; a row with unloaded fields is a Proxy in front of it (PARTIAL_ROW).
 */
export function defineFieldAccessors(prototype: object, meta: ModelMeta): void {
  for (const field of meta.fields) {
    const { slot, name } = field;
    const build = field.fromColumn;
    Object.defineProperty(prototype, name, {
      configurable: true,
      get(this: InstanceInternals) {
        const slots = this[SLOTS];
        const value = slots[slot];
        // An unloaded slot is never read here: a row that has one is a Proxy that raises first (PARTIAL_ROW).
        if (build !== undefined && typeof value !== "object" && value !== undefined) return (slots[slot] = build(value, this[STATE].database));
        return value;
      },
      set(this: InstanceInternals, value: unknown) {
        const assigned = field.assign(value, this);
        (ownState(this).dirty ??= new Set()).add(name);
        this[SLOTS][slot] = assigned;
      },
    });
  }
}

function unloadedField(instance: InstanceInternals, meta: ModelMeta, property: string): UnloadedFieldError {
  const origin = instance[STATE].origin;
  if (origin) {
    const path = `${origin.model.charAt(0).toLowerCase()}${origin.model.slice(1)}.${origin.field}`;
    return new UnloadedFieldError(
      `${meta.name}.${property} is not loaded: ${path} is a sparse ${meta.name} holding only its primary key. ` +
        `Load it with \`await ${path}.load()\`, or fetch it up front with selectRelated("${origin.field}").`,
    );
  }
  return new UnloadedFieldError(
    `${meta.name}.${property} is not loaded (the query deferred it). Load it with \`await instance.load()\`, ` +
      `or leave it out of only()/defer().`,
  );
}

/** A field's value as the instance holds it, without building a stub or raising; undefined where not loaded. */
export function heldValue(instance: object, field: Field): unknown {
  const value = slotsOf(instance)[field.slot];
  return value === UNLOADED ? undefined : value;
}
