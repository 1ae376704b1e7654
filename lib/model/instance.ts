import { UnloadedFieldError } from "../errors.js";
import type { ModelMeta } from "./meta.js";

export const META = Symbol("quarry.meta");
export const STATE = Symbol("quarry.state");
/** Passed as the constructor's second argument when rows come from the database: no validation, no defaults. */
export const FROM_DATABASE = Symbol("quarry.fromDatabase");
/** Likewise, for rows that carry only some fields (a stub, only(), defer()). */
export const PARTIAL_FROM_DATABASE = Symbol("quarry.partialFromDatabase");
export type RowSource = typeof FROM_DATABASE | typeof PARTIAL_FROM_DATABASE;
/**
 * Read through an instance's Proxy, gives its target. Not a WeakMap from Proxy to target: a million
 * short-lived rows (a stream) would each leave an entry that only a full garbage collection clears.
 */
export const TARGET = Symbol("quarry.target");

export interface InstanceState {
  /** The row exists in the database (the instance came from it, or was saved). */
  persisted: boolean;
  /** Fields assigned since the last load or save. */
  dirty: Set<string> | undefined;
  /** For a sparse foreign-key stub: the instance and field it hangs from, to say how to load it. */
  origin: { model: string; field: string } | undefined;
  /** Some declared fields were never loaded (a stub, or only()/defer()). */
  partial: boolean;
  /** Fields in meta.builtOnRead may still hold their column's value (a foreign key's key), built into an object when read. */
  unbuilt: boolean;
  /** Built from user values, which validateValues checked: until one is assigned, save() need not check them again. */
  validated?: boolean;
  /** Rows prefetchRelated loaded for reverse relations, by relation name. */
  prefetched?: Map<string, readonly object[]>;
}

export interface InstanceTarget {
  [STATE]: InstanceState;
  constructor: { [META]: ModelMeta };
  [field: string]: unknown;
}

/**
 * One handler for every instance (no per-row closures). Loaded fields are plain own properties of the
 * target, so a read is one Reflect.get; only a read that finds nothing on a partial instance pays for
 * the check that turns it into UnloadedFieldError. A foreign key loaded from the database holds its key
 * until it is first read, which builds its stub in place: rows whose relations are never read build none.
 */
export const instanceHandler: ProxyHandler<InstanceTarget> = {
  get(target, property, receiver) {
    if (property === TARGET) return target;
    const value = Reflect.get(target, property, receiver);
    if (value === undefined) {
      if (target[STATE].partial && typeof property === "string") {
        const meta = target.constructor[META];
        if (meta.fieldMap.has(property) && !Object.hasOwn(target, property)) throw unloadedField(target, meta, property);
      }
      return value;
    }
    if (typeof value !== "object" && typeof property === "string" && target[STATE].unbuilt) {
      const field = target.constructor[META].builtOnRead.get(property);
      if (field) return (target[property] = field.fromColumn!(value));
    }
    return value;
  },
  set(target, property, value, receiver) {
    if (typeof property === "string") {
      const meta = target.constructor[META];
      const field = meta.fieldMap.get(property);
      if (field) {
        (target[STATE].dirty ??= new Set()).add(property);
        return Reflect.set(target, property, field.assign(value), receiver);
      }
    }
    return Reflect.set(target, property, value, receiver);
  },
};

function unloadedField(target: InstanceTarget, meta: ModelMeta, property: string): UnloadedFieldError {
  const origin = target[STATE].origin;
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
