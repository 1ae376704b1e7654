import { createHash } from "node:crypto";
import type { Field } from "./fields.js";
import { unknownName } from "../suggest.js";

/** A composite unique constraint: no two rows share the values of these fields. */
export interface UniqueConstraintOption {
  readonly unique: readonly string[];
  /** Default: `<table>_<columns>_uniq`. */
  readonly name?: string;
}

/**
 * A check constraint every row must meet: a lookup object (`{ price__gte: 0 }`, portable, checked against the
 * fields), or a SQL expression over column names (`"price >= 0"`), as the database takes it.
 */
export interface CheckConstraintOption {
  readonly check: string | Readonly<Record<string, unknown>>;
  readonly name: string;
}

export type ConstraintOption = UniqueConstraintOption | CheckConstraintOption;

/** An index over one or more fields, `-name` for descending. */
export interface IndexOption {
  readonly fields: readonly string[];
  /** Default: `<table>_<columns>_idx`. */
  readonly name?: string;
  readonly unique?: boolean;
}

/**
 * A model's constraints and indexes as the schema states them: plain, JSON-serialisable data (field names,
 * not Field objects), which createAll turns into DDL and migrations compare.
 */
export type ConstraintSpec =
  | { readonly kind: "unique"; readonly name: string; readonly fields: readonly string[] }
  | { readonly kind: "check"; readonly name: string; readonly check: string | Readonly<Record<string, unknown>> };

export interface IndexSpec {
  readonly name: string;
  /** Field names, `-name` for descending. */
  readonly fields: readonly string[];
  readonly unique: boolean;
}

/** Identifier length cap: 63 characters on PostgreSQL, 64 on MySQL; long names end in a hash instead. */
export function schemaName(table: string, columns: readonly string[], suffix: string): string {
  const name = `${table}_${columns.join("_")}_${suffix}`;
  if (name.length <= 60) return name;
  return `${name.slice(0, 50)}_${createHash("sha1").update(name).digest("hex").slice(0, 8)}`;
}

/** The fields an option names, each checked against the model (`-name` allowed where `descending`). */
function fieldsOf(model: string, what: string, names: unknown, fields: ReadonlyMap<string, Field>, descending: boolean): string[] {
  if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === "string")) {
    throw new TypeError(`${model}: ${what} needs a non-empty array of field names, got ${JSON.stringify(names)}`);
  }
  for (const name of names as string[]) {
    const bare = descending && name.startsWith("-") ? name.slice(1) : name;
    if (!fields.has(bare)) throw new TypeError(`${model}: ${what} names ${unknownName(bare, [...fields.keys()], "field")}`);
  }
  if (new Set(names).size !== names.length) throw new TypeError(`${model}: ${what} names a field twice: ${JSON.stringify(names)}`);
  return [...(names as string[])];
}

function columnsOf(names: readonly string[], fields: ReadonlyMap<string, Field>): string[] {
  return names.map((name) => fields.get(name.replace(/^-/, ""))!.column);
}

function checkName(model: string, name: unknown): void {
  if (typeof name !== "string" || !/^\w{1,60}$/.test(name)) {
    throw new TypeError(`${model}: a constraint or index name is 1-60 letters, digits or underscores, got ${JSON.stringify(name)}`);
  }
}

/** Define's `constraints` option, checked, as plain specs. */
export function constraintSpecs(model: string, table: string, options: unknown, fields: ReadonlyMap<string, Field>): ConstraintSpec[] {
  if (options === undefined) return [];
  if (!Array.isArray(options)) throw new TypeError(`${model}: constraints is an array such as [{ unique: ["a", "b"] }, { check: { price__gte: 0 }, name: "price_positive" }]`);
  return options.map((option: unknown): ConstraintSpec => {
    const given = (option ?? {}) as Record<string, unknown>;
    if ("unique" in given) {
      unknownKeys(`${model}: a unique constraint`, given, ["unique", "name"]);
      const names = fieldsOf(model, "a unique constraint", given.unique, fields, false);
      const name = (given.name as string | undefined) ?? schemaName(table, columnsOf(names, fields), "uniq");
      checkName(model, name);
      return { kind: "unique", name, fields: names };
    }
    if ("check" in given) {
      unknownKeys(`${model}: a check constraint`, given, ["check", "name"]);
      const check = given.check;
      if (typeof check !== "string" && (check === null || typeof check !== "object" || Array.isArray(check))) {
        throw new TypeError(`${model}: a check constraint's check is a lookup object such as { price__gte: 0 } or a SQL expression string`);
      }
      if (given.name === undefined) throw new TypeError(`${model}: a check constraint needs a name (it is how the database reports a violation)`);
      checkName(model, given.name);
      return { kind: "check", name: given.name as string, check: check as CheckConstraintOption["check"] };
    }
    throw new TypeError(`${model}: each constraint is { unique: [fields], name? } or { check, name }, got ${JSON.stringify(option)}`);
  });
}

/** Define's `indexes` option, checked, as plain specs. */
export function indexSpecs(model: string, table: string, options: unknown, fields: ReadonlyMap<string, Field>): IndexSpec[] {
  if (options === undefined) return [];
  if (!Array.isArray(options)) throw new TypeError(`${model}: indexes is an array such as [{ fields: ["artist", "-year"], name: "album_artist_year" }]`);
  return options.map((option: unknown): IndexSpec => {
    const given = (option ?? {}) as Record<string, unknown>;
    unknownKeys(`${model}: an index`, given, ["fields", "name", "unique"]);
    const names = fieldsOf(model, "an index", given.fields, fields, true);
    const name = (given.name as string | undefined) ?? schemaName(table, columnsOf(names, fields), "idx");
    checkName(model, name);
    return { name, fields: names, unique: given.unique === true };
  });
}

/** Define's `ordering` option: field names or relation paths, `-` for descending; resolved when first queried. */
export function orderingSpec(model: string, options: unknown): string[] {
  if (options === undefined) return [];
  if (!Array.isArray(options) || !options.every((name) => typeof name === "string" && name !== "" && name !== "-")) {
    throw new TypeError(`${model}: ordering is an array of field names such as ["-created", "title"], got ${JSON.stringify(options)}`);
  }
  return [...options];
}

/** Refuses keys an option object does not have, naming the nearest it does. */
export function unknownKeys(owner: string, given: object, known: readonly string[]): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw new TypeError(`${owner} has no ${unknownName(key, known, "option")}`);
  }
}

/** The options every field takes. */
export const COMMON_FIELD_OPTIONS: readonly string[] = ["primaryKey", "allowNull", "default", "unique", "index", "column", "validators"];

/** A field constructor's options, refused where they hold one it does not take (`max_length`, say), naming the one meant. */
export function checkedFieldOptions<O>(constructor: string, options: O, known: readonly string[]): O {
  if (options === undefined) return options;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`orm.${constructor}() takes an object of options, such as { allowNull: true }, got ${JSON.stringify(options)}`);
  }
  unknownKeys(`orm.${constructor}()`, options, known);
  return options;
}
