import type { Field } from "./fields.js";
import type { Instance } from "./model.js";
import type { SelfReference } from "../query/typing.js";
import type { ManyRelatedManager } from "../relations/many-related-manager.js";

/** Carries a model's field map on its instance type, so queries can check keys against it (types only). */
export declare const fieldsBrand: unique symbol;

/** A model's declared fields, by name. */
export type FieldMap = { readonly [name: string]: Field<unknown, boolean, boolean, boolean> };

/** The JS value a field holds on an instance. */
export type FieldValue<F> = F extends { readonly valueType: infer T; readonly nullable: infer Nullable }
  ? Nullable extends true
    ? T | null
    : T
  : never;

type HasPrimaryKey<F extends FieldMap> = true extends { [K in keyof F]: F[K] extends Field<unknown, boolean, boolean, true> ? true : never }[keyof F] ? true : false;

/** The auto `id` primary key that Model.define adds when no field is one. */
export type AutoId = Field<number, false, true, true>;

export type WithPrimaryKey<F extends FieldMap> = HasPrimaryKey<F> extends true ? F : F & { id: AutoId };

export type PrimaryKeyName<F extends FieldMap> = {
  [K in keyof F]: F[K] extends Field<unknown, boolean, boolean, true> ? K : never;
}[keyof F] & string;

export type PrimaryKeyValue<F extends FieldMap> = FieldValue<F[PrimaryKeyName<F>]>;

/** A many-to-many declaration: no column, a related manager on the instance (see ManyToMany()). */
export type ManyToManyDeclaration = { readonly manyToManyTarget: unknown };

/** The fields that have a column: what create(), update() and validation take (not many-to-many declarations). */
export type ColumnKeys<F> = { [K in keyof F]-?: F[K] extends ManyToManyDeclaration ? never : K }[keyof F];

/** The fields a write may set on an existing row: not its primary key, which identifies it, nor a many-to-many. */
export type UpdatableKeys<F> = { [K in keyof F]-?: F[K] extends ManyToManyDeclaration ? never : F[K] extends { readonly primary: true } ? never : K }[keyof F] & string;

/** The values of a row, one property per field; a many-to-many reads as its related manager (a "self" one over this model). */
export type Values<F extends FieldMap> = {
  -readonly [K in keyof F]: F[K] extends { readonly manyToManyTarget: infer I } ? SelfManager<F, I, FieldValue<F[K]>> : FieldValue<F[K]>;
};

/** `ManyToMany("self")`'s manager, over this model's instances; others as declared. */
type SelfManager<F extends FieldMap, I, Declared> = [I] extends [SelfReference] ? ([SelfReference] extends [I] ? ManyRelatedManager<Instance<F>> : Declared) : Declared;

type OptionalKeys<F extends FieldMap> = { [K in ColumnKeys<F>]: F[K] extends Field<unknown, boolean, true, boolean> ? K : never }[ColumnKeys<F>];
type RequiredKeys<F extends FieldMap> = Exclude<ColumnKeys<F>, OptionalKeys<F>>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** What `create()` and `new Model()` accept: fields with defaults, nullable fields and auto keys may be left out. */
export type CreateValues<F extends FieldMap> = Simplify<
  { [K in RequiredKeys<F>]: FieldInput<F[K]> } & { [K in OptionalKeys<F>]?: FieldInput<F[K]> }
>;

/** What a field accepts from user code: its value, or for a foreign key also the related row's key. */
export type FieldInput<F> = F extends { readonly keyType: infer Key; readonly relatedType: infer I }
  ? I | Key | Extract<FieldValue<F>, null>
  : FieldValue<F>;
