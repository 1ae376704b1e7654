import { ValidationError } from "../errors.js";
import { ownsKey, PROTOTYPE_KEYS } from "./reserved-names.js";
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
  let problems: ValidationError[] | undefined;
  for (const name in given) {
    if (!ownsKey(given, name)) continue;
    const field = name === "pk" ? meta.pk : meta.fieldMap.get(name);
    if (!field) {
      if (PROTOTYPE_KEYS.has(name)) throw meta.unknown(name);
      const problem = meta.relationWrite(name) ?? new ValidationError(`${meta.name} has no field ${JSON.stringify(name)}; it has: ${[...meta.fieldMap.keys()].join(", ")}`, meta.name, name);
      (problems ??= []).push(problem);
      continue;
    }
    const value = given[name];
    if (value !== undefined) problems = checkInto(slots, field, value, problems);
  }
  for (const field of meta.defaulted) {
    // A value given and refused is that field's one problem, not also a missing value.
    if (slots[field.slot] !== undefined || problems?.some((problem) => problem.field === field.name)) continue;
    try {
      if (options.applyDefaults) {
        const fallback = field.defaultValue();
        if (fallback !== undefined) {
          slots[field.slot] = fallback === null ? null : field.validate(fallback);
          continue;
        }
      }
      if (!options.partial) requireValue(field);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      (problems ??= []).push(error);
    }
  }
  if (meta.validated.length > 0) problems = refusals(meta, slots, problems);
  if (problems) throw ValidationError.of(meta.name, problems);
  return slots;
}

/**
 * These fields' values (`values`, in `fields`' order) checked as validateSlots checks a partial write's, into slots:
 * what bulkUpdate writes of each instance, with no object of values built per row.
 */
export function validateFields(meta: ModelMeta, fields: readonly Field[], values: readonly unknown[]): unknown[] {
  const slots = new Array<unknown>(meta.fields.length);
  let problems: ValidationError[] | undefined;
  for (let index = 0; index < fields.length; index++) {
    if (values[index] !== undefined) problems = checkInto(slots, fields[index]!, values[index], problems);
  }
  if (meta.validated.length > 0) problems = refusals(meta, slots, problems);
  if (problems) throw ValidationError.of(meta.name, problems);
  return slots;
}

/** The field's checked value into its slot, or its ValidationError among the problems. */
function checkInto(slots: unknown[], field: Field, value: unknown, problems: ValidationError[] | undefined): ValidationError[] | undefined {
  try {
    slots[field.slot] = field.validate(value);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    (problems ??= []).push(error);
  }
  return problems;
}

/** The `validators` options' refusals of these slots' values, after the type checks' problems. */
function refusals(meta: ModelMeta, slots: readonly unknown[], problems: ValidationError[] | undefined): ValidationError[] | undefined {
  for (const field of meta.validated) {
    if (problems?.some((problem) => problem.field === field.name)) continue;
    const refusal = field.refusal(slots[field.slot]);
    if (refusal) (problems ??= []).push(refusal);
  }
  return problems;
}

/**
 * Reports every field that has no value and needs one: the check a new instance's slots, which its
 * constructor validated and filled with defaults, still need before they are inserted.
 */
export function checkComplete(meta: ModelMeta, slots: readonly unknown[]): void {
  let problems: ValidationError[] | undefined;
  for (const field of meta.fields) {
    if (slots[field.slot] !== undefined) continue;
    try {
      requireValue(field);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      (problems ??= []).push(error);
    }
  }
  if (problems) throw ValidationError.of(meta.name, problems);
}

function requireValue(field: Field): void {
  // A missing value is what validate() refuses for a required field, with its message.
  if (!field.generated) field.validate(undefined);
}
