// Types that check what user code passes to a QuerySet against the model, with no code generation.
// Keys such as "album__artist__name__startswith" are validated by parsing the key that was written
// (template literal types), never by enumerating every possible key: that keeps deep paths cheap to check.
import type { AnnotationKey } from "./aggregates.js";
import type { Expression } from "./lookups.js";
import type { SubqueryOf } from "./subqueries.js";
import type { Field } from "../model/fields.js";
import type { ManyRelatedManager } from "../relations/many-related-manager.js";
import type { RelatedManager } from "../relations/related-manager.js";
import type { ColumnKeys, FieldMap, FieldValue, fieldsBrand, ManyToManyDeclaration } from "../model/types.js";

/** Marks a reverse relation's manager with the instance type it yields (types only). */
export declare const reverseBrand: unique symbol;
/** Marks a sparse stub with the instance type it loads into (types only). */
export declare const sparseBrand: unique symbol;

/** The fields a model instance type was defined with (its subclasses too). */
export type FieldsOf<T> = T extends { readonly [fieldsBrand]?: infer F extends FieldMap } ? F : FieldMap;

/** A foreign key's typed view carries the related instance type and the key it accepts. */
type Relation = { readonly relatedType: unknown; readonly keyType: unknown };
type RelatedOf<Fd> = Fd extends { readonly relatedType: infer I } ? I : never;

/** What `ForeignKey("self")` relates to, until the model it sits on is known. */
export interface SelfReference {
  readonly [selfBrand]?: true;
  readonly pk: unknown;
}
export declare const selfBrand: unique symbol;

/** The instance type a foreign key on T leads to: T itself for "self". */
type RelatedIn<T, Fd> = ResolveSelf<T, RelatedOf<Fd>>;
/** SelfReference only matches itself: any instance would extend it, so both directions are checked. */
type ResolveSelf<T, I> = [I] extends [SelfReference] ? ([SelfReference] extends [I] ? T : I) : I;
type KeyOf<Fd> = Fd extends { readonly keyType: infer K } ? K : never;

/** The instance type a many-to-many on T leads to: T itself for "self". */
type ManyIn<T, Fd> = ResolveSelf<T, Fd extends { readonly manyToManyTarget: infer I } ? I : never>;
type ManyKeys<F> = { [K in keyof F]-?: F[K] extends ManyToManyDeclaration ? K : never }[keyof F] & string;

/** A sparse related row: its key and load(), nothing else until loaded. */
export interface Stub<I> {
  readonly pk: I extends { pk: infer K } ? K : unknown;
  /** Loads every field; resolves to the full instance (the same object, filled in). */
  load(): Promise<I>;
  toJSON(): Record<string, unknown>;
  /** The loaded type, for selectRelated's narrowing. */
  readonly [sparseBrand]?: I;
}

/** What a reverse relation declared on a subclass (`declare tracks: orm.RelatedManager<Track>`) leads to. */
type ReverseTarget<V> = V extends { readonly [reverseBrand]?: infer I } ? I : never;
type ReverseKeys<T> = { [K in keyof T]-?: [ReverseTarget<T[K]>] extends [never] ? never : K }[keyof T] & string;

export type TextLookup = "iexact" | "contains" | "icontains" | "startswith" | "istartswith" | "endswith" | "iendswith";
export type ComparisonLookup = "lt" | "lte" | "gt" | "gte";
export type LookupName = "exact" | TextLookup | ComparisonLookup | "in" | "range" | "isnull";

/** A QuerySet as a lookup's value: a subquery (its one column, or its keys). */
type Rows = SubqueryOf<unknown>;

/** What a lookup operator takes for a field holding `V`. */
export type OperatorValue<V, Op extends string> = Op extends "exact"
  ? V | null | Expression | Rows
  : Op extends TextLookup
    ? V extends string
      ? string
      : UnknownLookup<Op, "is for strings only">
    : Op extends ComparisonLookup
      ? V | Expression | Rows
      : Op extends "in"
        ? readonly (V | Expression)[] | Expression | Rows
        : Op extends "range"
          ? readonly [V | Expression, V | Expression]
          : Op extends "isnull"
            ? boolean
            : UnknownLookup<Op, "is not a lookup">;

/** An error shown where a key is wrong: the key and why. */
export interface UnknownLookup<K extends string, Why extends string> {
  readonly error: `"${K}" ${Why}`;
}

type Scalar<Fd> = Exclude<FieldValue<Fd>, null>;

/** The value `filter({ [K]: value })` takes on instances of T. */
export type LookupValue<T, K extends string> = LookupIn<T, FieldsOf<T>, K>;

type LookupIn<T, F, K extends string> = K extends keyof F
  ? F[K] extends Relation
    ? RelatedIn<T, F[K]> | KeyOf<F[K]> | null | Expression | Rows
    : F[K] extends ManyToManyDeclaration
      ? ManyIn<T, F[K]> | PkOf<ManyIn<T, F[K]>>
      : FieldValue<F[K]> | null | Expression | Rows
  : K extends "pk"
    ? PkOf<T> | null
    : K extends `${infer Head}__${infer Rest}`
      ? Head extends keyof F
        ? F[Head] extends Relation
          ? Rest extends LookupName
            ? OperatorValue<RelatedIn<T, F[Head]> | KeyOf<F[Head]>, Rest>
            : LookupValue<RelatedIn<T, F[Head]>, Rest>
          : F[Head] extends ManyToManyDeclaration
            ? Rest extends LookupName
              ? OperatorValue<ManyIn<T, F[Head]> | PkOf<ManyIn<T, F[Head]>>, Rest>
              : LookupValue<ManyIn<T, F[Head]>, Rest>
            : Rest extends DatePart
              ? PartValue<F[Head], Rest, "">
              : Rest extends `${infer Part extends DatePart}__${infer Op}`
                ? PartValue<F[Head], Part, `__${Op}`>
                : OperatorValue<Scalar<F[Head]>, Rest>
        : Head extends "pk"
          ? OperatorValue<PkOf<T>, Rest>
          : Head extends ReverseKeys<T>
            ? Rest extends "isnull"
              ? boolean
              : LookupValue<ReverseTarget<T[Head]>, Rest>
            : UnknownLookup<K, "names no field or relation">
      : K extends ReverseKeys<T>
        ? PkOf<ReverseTarget<T[K]>>
        : UnknownLookup<K, "names no field or relation">;

type PkOf<T> = T extends { pk: infer K } ? Exclude<K, null | undefined> : unknown;

/** The parts of a date or timestamp a lookup can compare: `created__year`, `created__date__gte`. */
export type DatePart = "year" | "month" | "day" | "week_day" | "hour" | "minute" | "date";
type DateParts = "year" | "month" | "day" | "week_day";
type PartsOf<Fd> = Fd extends { readonly kind: "datetime" } ? DatePart : Fd extends { readonly kind: "date" } ? DateParts : never;
type PartOperators = "" | `__${"exact" | ComparisonLookup | "in" | "range" | "isnull"}`;

/** The value a lookup on part `Part` of field Fd takes (`Op` is "" or "__gte" and the like). */
type PartValue<Fd, Part extends string, Op extends string> = Part extends PartsOf<Fd>
  ? Op extends ""
    ? (Part extends "date" ? string : number) | Expression
    : Op extends `__${infer Operator}`
      ? OperatorValue<Part extends "date" ? string : number, Operator>
      : UnknownLookup<`${Part}${Op}`, "is not a lookup">
  : UnknownLookup<Part, "is not a part of this field">;

/** A lookup object checked key by key: `{ title__icontains: "x", album__artist__name: "y" }`. */
export type Lookups<T, L> = { [K in keyof L]: K extends string ? LookupValue<T, K> : never };

type OperatorsFor<V> = [V] extends [string] ? LookupName : Exclude<LookupName, TextLookup>;
type KeyOperators = "exact" | "in" | "isnull";

/**
 * Every lookup key of T, relation paths included (three hops, then a field and an operator): an object type of
 * them gives completion and "does not exist" errors that name the wrong key. Methods take this finite
 * type rather than a generic one so that QuerySet stays covariant in its row type, which lets a
 * subclass declare `static objects: orm.Manager<Sub>`.
 */
export type LookupKey<T, Depth extends number = 4> =
  | "pk"
  | `pk__${Exclude<LookupName, TextLookup>}`
  | {
      [K in keyof FieldsOf<T> & string]: FieldsOf<T>[K] extends Relation
        ?
            | K
            | `${K}__${KeyOperators}`
            | ([Depth] extends [1] ? never : `${K}__${LookupKey<RelatedIn<T, FieldsOf<T>[K]>, Prev[Depth]>}`)
        : FieldsOf<T>[K] extends ManyToManyDeclaration
          ? K | `${K}__${KeyOperators}` | ([Depth] extends [1] ? never : `${K}__${LookupKey<ManyIn<T, FieldsOf<T>[K]>, Prev[Depth]>}`)
          : K | `${K}__${OperatorsFor<Scalar<FieldsOf<T>[K]>>}` | `${K}__${PartsOf<FieldsOf<T>[K]>}${PartOperators}`;
    }[keyof FieldsOf<T> & string]
  | ([Depth] extends [1]
      ? never
      : { [K in ReverseKeys<T>]: K | `${K}__isnull` | `${K}__${LookupKey<ReverseTarget<T[K]>, Prev[Depth]>}` }[ReverseKeys<T>]);

/** `n`, `n__gte`, ...: lookups on the values annotate() added to T. */
type AnnotationLookupKey<T> = { [K in AnnotationKey<T>]: K | `${K}__${OperatorsFor<Exclude<T[K & keyof T], null>>}` }[AnnotationKey<T>];

type AnnotationLookupValue<T, K extends string> = K extends AnnotationKey<T>
  ? T[K & keyof T] | null | Expression
  : K extends `${infer Name}__${infer Op}`
    ? OperatorValue<Exclude<T[Name & keyof T], null>, Op>
    : never;

/** The lookups filter(), exclude() and get() take for rows of type T. */
export type FilterObject<T> = { [K in LookupKey<T>]?: LookupValue<T, K> } & { [K in AnnotationLookupKey<T>]?: AnnotationLookupValue<T, K> };

// ----- paths: orderBy, values, selectRelated, prefetchRelated -----

type ForwardKeys<F> = { [K in keyof F]-?: F[K] extends Relation ? K : never }[keyof F] & string;
/** Depth counters count down: Prev[3] is 2. */
type Prev = [never, 0, 1, 2, 3];

/** `album`, `album__artist`, ...: forward keys a selectRelated can follow (three levels). */
export type SelectPath<T, Depth extends number = 3> = [Depth] extends [0]
  ? never
  : {
      [K in ForwardKeys<FieldsOf<T>>]: K | `${K}__${SelectPath<RelatedIn<T, FieldsOf<T>[K]>, Prev[Depth]>}`;
    }[ForwardKeys<FieldsOf<T>>];

/** Forward and reverse relation names, nested with `__` (two levels), for prefetchRelated. */
export type PrefetchPath<T, Depth extends number = 2> = [Depth] extends [0]
  ? never
  :
      | { [K in ForwardKeys<FieldsOf<T>>]: K | `${K}__${PrefetchPath<RelatedIn<T, FieldsOf<T>[K]>, Prev[Depth]>}` }[ForwardKeys<FieldsOf<T>>]
      | { [K in ReverseKeys<T>]: K | `${K}__${PrefetchPath<ReverseTarget<T[K]>, Prev[Depth]>}` }[ReverseKeys<T>]
      | { [K in ManyKeys<FieldsOf<T>>]: K | `${K}__${PrefetchPath<ManyIn<T, FieldsOf<T>[K]>, Prev[Depth]>}` }[ManyKeys<FieldsOf<T>>];

/** A field, or a field across forward relations (two hops): what values() and orderBy() name. */
export type FieldPath<T, Depth extends number = 2> =
  | "pk"
  | (keyof FieldsOf<T> & string)
  | { [K in keyof FieldsOf<T> & string]: `${K}__${PartsOf<FieldsOf<T>[K]>}` }[keyof FieldsOf<T> & string]
  | ([Depth] extends [0]
      ? never
      :
          | { [K in ForwardKeys<FieldsOf<T>>]: `${K}__${FieldPath<RelatedIn<T, FieldsOf<T>[K]>, Prev[Depth]>}` }[ForwardKeys<FieldsOf<T>>]
          | { [K in ReverseKeys<T>]: `${K}__${FieldPath<ReverseTarget<T[K]>, Prev[Depth]>}` }[ReverseKeys<T>]
          | { [K in ManyKeys<FieldsOf<T>>]: `${K}__${FieldPath<ManyIn<T, FieldsOf<T>[K]>, Prev[Depth]>}` }[ManyKeys<FieldsOf<T>>]);

/** A column, or a column across forward relations (two hops): what distinct() names. */
export type ColumnPath<T, Depth extends number = 2> =
  | "pk"
  | (ColumnKeys<FieldsOf<T>> & string)
  | ([Depth] extends [0] ? never : { [K in ForwardKeys<FieldsOf<T>>]: `${K}__${ColumnPath<RelatedIn<T, FieldsOf<T>[K]>, Prev[Depth]>}` }[ForwardKeys<FieldsOf<T>>]);

export type OrderKey<T> = FieldPath<T> | `-${FieldPath<T>}` | AnnotationKey<T> | `-${AnnotationKey<T>}`;

/** The value at a field path: a foreign key itself gives its key; across a nullable key, null too. */
export type PathValue<T, P extends string> = P extends "pk"
  ? PkOf<T>
  : P extends keyof FieldsOf<T>
    ? FieldsOf<T>[P] extends Relation
      ? KeyOf<FieldsOf<T>[P]> | NullIf<FieldsOf<T>[P]>
      : FieldsOf<T>[P] extends ManyToManyDeclaration
        ? PkOf<ManyIn<T, FieldsOf<T>[P]>> | null
        : FieldValue<FieldsOf<T>[P]>
    : P extends `${infer Head}__${infer Rest}`
      ? Head extends keyof FieldsOf<T>
        ? FieldsOf<T>[Head] extends ManyToManyDeclaration
          ? PathValue<ManyIn<T, FieldsOf<T>[Head]>, Rest> | null
          : FieldsOf<T>[Head] extends Relation
            ? PathValue<RelatedIn<T, FieldsOf<T>[Head]>, Rest> | NullIf<FieldsOf<T>[Head]>
            : Rest extends PartsOf<FieldsOf<T>[Head]>
              ? (Rest extends "date" ? string : number) | NullIf<FieldsOf<T>[Head]>
              : never
        : never
      : never;

type NullIf<Fd> = Fd extends Field<unknown, true, boolean, boolean> ? null : never;

/** A row of values(...keys). */
export type ValuesRow<T, K extends string> = { [P in K]: PathValue<T, P> };

// ----- selectRelated narrowing -----

type Loaded<V, Owner> = V extends Stub<infer I> ? ResolveSelf<Owner, I> : V;

/** T with the stub at `path` (and every stub along it) replaced by the loaded instance. */
export type WithRelated<T, Path extends string> = Path extends `${infer Head}__${infer Rest}`
  ? Omit<T, Head> & { [K in Head]: LoadAlong<T[Head & keyof T], Rest, T> }
  : Omit<T, Path> & { [K in Path]: Loaded<T[Path & keyof T], T> };

type LoadAlong<V, Rest extends string, Owner> = V extends null ? null : WithRelated<Loaded<V, Owner>, Rest>;

/** Applies several selectRelated paths in turn (a list of unknown length, string[], narrows nothing). */
/**
 * The row type after `prefetchRelated(path)`: a foreign key on the path reads as its loaded row (as with
 * selectRelated), and a reverse or many-to-many manager on it yields rows loaded along the rest of the path
 * (`prefetchRelated("articleTags__tag")`: every `article.articleTags` row's `tag` is loaded, not a stub).
 */
export type WithPrefetched<T, Path extends string> = Path extends `${infer Head}__${infer Rest}`
  ? Omit<T, Head> & { [K in Head]: PrefetchAlong<T[Head & keyof T], Rest, T> }
  : Omit<T, Path> & { [K in Path]: Loaded<T[Path & keyof T], T> };

type PrefetchAlong<V, Rest extends string, Owner> =
  V extends ManyRelatedManager<infer I>
    ? ManyRelatedManager<WithPrefetched<I, Rest>>
    : V extends RelatedManager<infer I>
      ? RelatedManager<WithPrefetched<I, Rest>>
      : V extends null
        ? null
        : WithPrefetched<Loaded<V, Owner>, Rest>;

export type WithAllPrefetched<T, Paths extends readonly string[]> = number extends Paths["length"]
  ? T
  : Paths extends readonly [infer First extends string, ...infer More extends readonly string[]]
    ? WithAllPrefetched<WithPrefetched<T, First>, More>
    : T;

export type WithAllRelated<T, Paths extends readonly string[]> = number extends Paths["length"]
  ? T
  : Paths extends readonly [
  infer First extends string,
  ...infer More extends readonly string[],
]
  ? WithAllRelated<WithRelated<T, First>, More>
  : T;
