import { ValidationError } from "../errors.js";
import type { ModelMeta } from "./meta.js";

export interface ValidateOptions {
  /** Leave out fields that were not given (an update), instead of requiring every field without a default. */
  partial: boolean;
  /** Fill in defaults for fields that were not given. */
  applyDefaults?: boolean;
  /** The values already passed validateValues (an instance's, untouched since): only what is missing is filled in or reported. */
  trusted?: boolean;
}

/**
 * Checks user-supplied values against the model before any SQL is written: unknown names, wrong
 * types, nulls, lengths. Returns the normalised values; throws ValidationError naming model and field.
 */
export function validateValues(meta: ModelMeta, data: object, options: ValidateOptions): Record<string, unknown> {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ValidationError(`${meta.name} expects an object of field values, got ${Array.isArray(data) ? "an array" : String(data)}`, meta.name);
  }
  const given = data as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  for (const name in given) {
    if (!Object.hasOwn(given, name)) continue;
    const field = name === "pk" ? meta.pk : meta.fieldMap.get(name);
    if (!field) {
      throw new ValidationError(
        `${meta.name} has no field ${JSON.stringify(name)}; it has: ${[...meta.fieldMap.keys()].join(", ")}`,
        meta.name,
        name,
      );
    }
    if (given[name] === undefined) continue;
    values[field.name] = options.trusted ? given[name] : field.validate(given[name]);
  }
  for (const field of meta.fields) {
    if (field.name in values) continue;
    if (options.applyDefaults) {
      const fallback = field.defaultValue();
      if (fallback !== undefined) {
        values[field.name] = fallback === null ? null : field.validate(fallback);
        continue;
      }
    }
    if (!options.partial && !field.generated) field.validate(undefined);
  }
  return values;
}
