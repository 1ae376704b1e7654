import type { ModelMeta } from "../model/meta.js";
import { decodeValue, type Annotation, type ValueColumn, type ValuesSpec } from "./compiler.js";
import { resolvePath } from "./paths.js";
import type { AnnotationKey } from "./aggregates.js";
import { findTransform } from "./transforms.js";
import type { FieldPath, PathValue } from "./typing.js";

/**
 * The value of one name in a values() row of T: a field path's value (a foreign key as its key), else an
 * annotation's (a property of T), else unknown.
 */
export type ValueOf<T, K extends string> = [PathValue<T, K>] extends [never] ? (K extends keyof T ? T[K] : unknown) : PathValue<T, K>;

/** A name values() and valuesList() take on a QuerySet of T: a field, a relation path, an annotate() name. */
export type ValuesKey<T> = FieldPath<T> | AnnotationKey<T>;

/** A row of `valuesList(...names)`: each position's value. */
export type ValuesTuple<T, K extends readonly string[]> = { -readonly [I in keyof K]: ValueOf<T, K[I]> };

/** A row of `values(...names)` on a QuerySet of T: the names as keys. */
export type ValuesRow<T, K extends string> = { [P in K]: ValueOf<T, P> };

export interface ValuesListOptions {
  /** One column, each row its plain value: `[1, 2, 3]` rather than `[[1], [2], [3]]`. */
  readonly flat?: boolean;
}

/**
 * The columns values()/valuesList() read: each name a field, a relation path (`album__title`, joined),
 * or an annotate() name; no names means every field of the model. UnknownFieldError before any SQL.
 */
export function valueColumns(meta: ModelMeta, annotations: readonly Annotation[], names: readonly string[]): ValueColumn[] {
  if (names.length === 0) return meta.columns.map((field) => ({ name: field.name, steps: [], field }));
  return names.map((name): ValueColumn => {
    if (typeof name !== "string" || name === "") throw meta.unknown(String(name), "field to read");
    const annotation = annotations.find((known) => known.name === name);
    if (annotation) return { name, annotation };
    const { steps, field, rest } = resolvePath(meta, name.split("__"), name);
    const transform = rest.length === 1 ? findTransform(field, rest[0]!, name) : undefined;
    if (transform) return { name, steps, field, transform };
    if (rest.length > 0) throw field.owner === meta ? meta.unknown(name, "field to read") : meta.unknown(rest.join("__"), "field to read", name);
    return { name, steps, field };
  });
}

/** Turns a row read by position into what values() (an object), valuesList() (an array) or flat (the value) gives. */
export function rowShaper(spec: ValuesSpec, decoders: readonly ((value: unknown) => unknown)[]): (row: readonly unknown[]) => unknown {
  if (spec.shape === "flat") return (row) => decodeValue(decoders[0]!, row[0]);
  if (spec.shape === "array") return (row) => decoders.map((decode, index) => decodeValue(decode, row[index]));
  const names = spec.columns.map((column) => column.name);
  return (row) => {
    const object: Record<string, unknown> = {};
    for (let index = 0; index < names.length; index++) object[names[index]!] = decodeValue(decoders[index]!, row[index]);
    return object;
  };
}
