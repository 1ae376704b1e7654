import { ValidationError } from "../errors.js";
import { PROTOTYPE_KEYS } from "./reserved-names.js";
import type { Field } from "./fields.js";
import type { ModelMeta } from "./meta.js";

export interface ValidateOptions {
  /** Leave out fields that were not given (an update), instead of requiring every field without a default. */
  partial: boolean;
  /** Fill in defaults for fields that were not given. */
  applyDefaults?: boolean;
}

/**
 * Checks user-supplied values against the model before any SQL is written: unknown names, wrong
 * types, nulls, lengths. Returns the normalised values by name; throws ValidationError naming model and field.
 */
export function validateValues(meta: ModelMeta, data: object, options: ValidateOptions): Record<string, unknown> {
  const slots = validateSlots(meta, data, options);
  const values: Record<string, unknown> = {};
  for (const field of meta.fields) if (slots[field.slot] !== undefined) values[field.name] = slots[field.slot];
  return values;
}

/**
 * validateValues, returning the values as an instance holds them: one slot per field, undefined where
 * none was given. Rows that become instances (new ones, bulkCreate's) are checked straight into their slots.
 */
export function validateSlots(meta: ModelMeta, data: object, options: ValidateOptions): unknown[] {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ValidationError(`${meta.name} expects an object of field values, got ${Array.isArray(data) ? "an array" : String(data)}`, meta.name);
  }
  const given = data as Record<string, unknown>;
  const slots = new Array<unknown>(meta.fields.length);
  for (const name in given) {
    if (!Object.hasOwn(given, name)) continue;
    const field = name === "pk" ? meta.pk : meta.fieldMap.get(name);
    if (!field) {
      if (PROTOTYPE_KEYS.has(name)) throw meta.unknown(name);
      throw new ValidationError(
        `${meta.name} has no field ${JSON.stringify(name)}; it has: ${[...meta.fieldMap.keys()].join(", ")}`,
        meta.name,
        name,
      );
    }
    const value = given[name];
    if (value === undefined) continue;
    slots[field.slot] = field.validate(value);
  }
  for (const field of meta.fields) {
    if (slots[field.slot] !== undefined) continue;
    if (options.applyDefaults) {
      const fallback = field.defaultValue();
      if (fallback !== undefined) {
        slots[field.slot] = fallback === null ? null : field.validate(fallback);
        continue;
      }
    }
    if (!options.partial) requireValue(field);
  }
  return slots;
}

/**
 * Reports the first field that has no value and needs one: the check a new instance's slots, which its
 * constructor validated and filled with defaults, still need before they are inserted.
 */
export function checkComplete(meta: ModelMeta, slots: readonly unknown[]): void {
  for (const field of meta.fields) if (slots[field.slot] === undefined) requireValue(field);
}

function requireValue(field: Field): void {
  // A missing value is what validate() refuses for a required field, with its message.
  if (!field.generated) field.validate(undefined);
}
