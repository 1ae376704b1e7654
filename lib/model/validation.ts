import { ValidationError } from "../errors.js";
import { compiledFromStrings, compilesFromStrings } from "../compiled-code.js";
import { ownsKey, PROTOTYPE_KEYS } from "./reserved-names.js";
import { META } from "./instance.js";
import { Field } from "./fields.js";
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
    const field = fieldNamed(meta, name);
    if (!field) {
      if (PROTOTYPE_KEYS.has(name)) throw meta.unknown(name);
      const problem = meta.relationWrite(name) ?? new ValidationError(`${meta.name} has no field ${JSON.stringify(name)}; it has: ${[...meta.fieldMap.keys()].join(", ")}`, meta.name, name);
      (problems ??= []).push(problem);
      continue;
    }
    const value = given[name];
    if (value !== undefined) problems = checkInto(slots, field, value, problems);
  }
  return completed(meta, slots, options, problems);
}

/** The field a row's key names: a field's own name, or "pk" for the primary key. */
function fieldNamed(meta: ModelMeta, name: string): Field | undefined {
  return name === "pk" ? meta.pk : meta.fieldMap.get(name);
}

/** Slots whose given values are checked: the defaults of fields not given, or their absence refused; then the validators. */
function completed(meta: ModelMeta, slots: unknown[], options: ValidateOptions, problems: ValidationError[] | undefined): unknown[] {
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
 * validateSlots for the many rows of one call (bulkCreate), each as an instance's slots. Rows that give the same
 * names in the same order, as the rows one piece of code builds do, are checked by code compiled for those names:
 * one call site per field, each of which sees one field's check. A loop over the fields calls every kind of check
 * from one site, which V8 can neither inline nor predict; 10,000 rows of five fields take a millisecond that way
 * and half of one compiled. A row the compiled code refuses is checked again by validateSlots, which names every
 * problem it has.
 */
export function validateRows(meta: ModelMeta, rows: readonly unknown[], options: ValidateOptions, caller: string): unknown[][] {
  const checked = new Array<unknown[]>(rows.length);
  const complete = (slots: unknown[]) => completed(meta, slots, options, undefined);
  // Then for...in gives a plain object's own keys alone, and needs no hasOwnProperty per key (half a millisecond
  // per 10,000 rows); objects of other prototypes take validateSlots.
  const plainOwnKeysOnly = !enumerates(Object.prototype);
  let check: RowCheck | undefined;
  for (let position = 0; position < rows.length; position++) {
    const row = rows[position];
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      checked[position] = validateSlots(meta, row as object, options);
      continue;
    }
    const prototype: unknown = Object.getPrototypeOf(row);
    if (!(prototype === null || (prototype === Object.prototype && plainOwnKeysOnly))) {
      // An instance's fields are its prototype's accessors, no own keys: it would read as a row of no values.
      if (META in row) throw new ValidationError(`${caller} takes objects of field values; item ${position} is a model instance (save() it, or pass its values)`, meta.name);
      checked[position] = validateSlots(meta, row, options);
      continue;
    }
    if (!check || !givesInOrder(row, check.names)) check = rowCheck(meta, row);
    checked[position] = check ? checkRow(meta, check, row, options, complete) : validateSlots(meta, row, options);
  }
  return checked;
}

function enumerates(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

/**
 * Code that checks the values of rows giving `names` (own keys, in this order) into new slots, and hands them to
 * `complete` (see completed) unless the row gave every field a default or a refusal could concern.
 */
interface RowCheck {
  readonly names: readonly string[];
  readonly run: (row: object, complete: (slots: unknown[]) => unknown[]) => unknown[];
}

/** Row checks kept per model (a program inserts rows of few shapes). */
const MAX_ROW_CHECKS = 16;
const rowChecks = new WeakMap<ModelMeta, RowCheck[]>();

function checkRow(meta: ModelMeta, check: RowCheck, row: object, options: ValidateOptions, complete: (slots: unknown[]) => unknown[]): unknown[] {
  try {
    return check.run(row, complete);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return validateSlots(meta, row, options);
  }
}

/** Whether the row's keys are `names`, in this order: its own, where its prototype is a plain object's (see validateRows). */
function givesInOrder(row: object, names: readonly string[]): boolean {
  let index = 0;
  for (const name in row) {
    if (name !== names[index]) return false;
    index++;
  }
  return index === names.length;
}

/**
 * The compiled check of rows giving this row's names, kept or compiled now; undefined where one is not a field
 * (validateSlots refuses it) or the model has its fill of checks.
 */
function rowCheck(meta: ModelMeta, row: object): RowCheck | undefined {
  // Once the process refuses code from strings, no row looks for a check again.
  if (!compilesFromStrings()) return undefined;
  let checks = rowChecks.get(meta);
  if (!checks) rowChecks.set(meta, (checks = []));
  // Rows of a few shapes in turn (a key some rows leave out) find theirs among the few kept.
  for (const check of checks) if (givesInOrder(row, check.names)) return check;
  if (checks.length >= MAX_ROW_CHECKS) return undefined;
  const names: string[] = [];
  for (const name in row) names.push(name);
  const fields = names.map((name) => fieldNamed(meta, name));
  if (!fields.every((field) => field !== undefined)) return undefined;
  const check = compileRowCheck(meta, names, fields as Field[]);
  if (check) checks.push(check);
  return check;
}

/**
 * Straight-line code over the row's names: a value given (not undefined) is checked into its field's slot. Names
 * and fields are the function's arguments, never its text, which holds only numbers and booleans. Undefined
 * where the process forbids code from strings (--disallow-code-generation-from-strings).
 */
function compileRowCheck(meta: ModelMeta, names: readonly string[], fields: readonly Field[]): RowCheck | undefined {
  const settled = meta.validated.length === 0 && meta.defaulted.every((field) => fields.includes(field));
  const steps = fields.map((field, index) => `value = row[name${index}];\n  if (value !== undefined) slots[${field.slot}] = ${checked(field, index)};\n  else incomplete = true;`);
  const body = `return function checkRow(row, complete) {\n  const slots = new Array(${meta.fields.length});\n  let value;\n  let incomplete = ${!settled};\n  ${steps.join("\n  ")}\n  return incomplete ? complete(slots) : slots;\n};`;
  const parameters = [...names.map((_, index) => `name${index}`), ...fields.map((_, index) => `field${index}`)];
  const run = compiledFromStrings<RowCheck["run"]>(parameters, body, [...names, ...fields]);
  return run && { names, run };
}

/**
 * A given value checked by its field, as validate() checks it: a value not null by the field's own check, called
 * here where V8 inlines it (inside validate() one call site meets every kind of field, and inlines none).
 */
function checked(field: Field, index: number): string {
  if (field.validate !== Field.prototype.validate) return `field${index}.validate(value)`;
  return `value === null ? field${index}.validate(value) : field${index}.check(value)`;
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
