import type { FieldMap } from "./types.js";

/**
 * One set of field declarations for several models: `const timestamps = orm.fields({ created: ... })`, spread
 * into each `Model.define`. A field belongs to one model, so each read of a name (a spread reads them all)
 * gives a fresh copy of its declaration.
 */
export function fields<const F extends FieldMap>(declarations: F): F {
  if (declarations === null || typeof declarations !== "object" || Array.isArray(declarations)) {
    throw new TypeError("orm.fields() takes an object of field declarations, such as { created: orm.DateTime({ autoNowAdd: true }) }");
  }
  const shared = {};
  for (const [name, field] of Object.entries(declarations)) {
    if (typeof (field as { copy?: unknown } | null)?.copy !== "function") throw new TypeError(`orm.fields(): "${name}" is not a field declaration`);
    if (field.name) throw new TypeError(`orm.fields(): "${name}" already belongs to ${field.owner.name}.${field.name}; declare a new one here`);
    Object.defineProperty(shared, name, { enumerable: true, get: () => field.copy() });
  }
  return Object.freeze(shared) as F;
}
