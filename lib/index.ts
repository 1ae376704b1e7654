export { default as sql, join, raw, empty, bulk, Sql } from "sql-template-tag";
export { Database, type DatabaseOptions, type QueryEvent, type StatementOptions, type TransactionEvent, type TransactionOptions } from "./database.js";
export { DatabaseURL, type DialectName } from "./url.js";
export {
  OrmError,
  NoMatch,
  MultipleMatches,
  ValidationError,
  type ValidationProblem,
  UnknownFieldError,
  UnloadedFieldError,
  DatabaseError,
  IntegrityError,
  type IntegrityKind,
  type IntegrityDetails,
  ConnectionError,
  TransactionError,
  SerializationError,
  DeadlockError,
  LockTimeoutError,
  QueryCancelledError,
  StatementTimeoutError,
} from "./errors.js";
export { Transaction } from "./transaction.js";
export { NPlusOneError, type NPlusOneReport, type NPlusOneOptions, type NPlusOneMode, type NPlusOneKind, type Logger } from "./observability/n-plus-one.js";
export type { TelemetryOptions } from "./observability/telemetry.js";
export { Scope, ScopeSlot, type ScopeOptions } from "./scope.js";
export type { AbortSignalLike } from "./node-types.js";
export { Model, type ModelClass, type Instance, type InstanceMethods, type DefineOptions, type SaveOptions } from "./model/model.js";
export type { Router, RouterHints } from "./model/placement.js";
export {
  Integer,
  BigInteger,
  Float,
  Decimal,
  Boolean,
  String,
  Text,
  Email,
  URL,
  IPAddress,
  Enum,
  UUID,
  Date,
  Time,
  DateTime,
  JSON,
} from "./model/columns.js";
export { fields } from "./model/shared-fields.js";
export { ForeignKey, OneToOne, ManyToMany, type ManyToManyOf } from "./relations/constructors.js";
export { ManyToManyField, type ManyToManyOptions, type ManyToManyLink } from "./relations/many-to-many.js";
export { ManyRelatedManager, type ThroughOptions } from "./relations/many-related-manager.js";
export { ForeignKeyField, type ForeignKeyOptions, type OnDelete } from "./relations/foreign-key.js";
export { RelatedManager, RelatedOne } from "./relations/related-manager.js";
export { Field, type FieldOptions, type JsonValue, type ColumnKind } from "./model/fields.js";
export type { FieldMap, FieldValue, CreateValues, Values, ColumnKeys, ManyToManyDeclaration } from "./model/types.js";
export { QuerySet, Manager, type Filter } from "./query/queryset.js";
export { Q } from "./query/where.js";
export { F, FieldReference, Combined, OrderBy, type NullsPlacement, type Operand } from "./query/expressions.js";
export { Count, Sum, Avg, Min, Max, Aggregate, type AggregateOptions, type AggregateValues, type Annotatable, type Annotated } from "./query/aggregates.js";
export { Computed, type Argument } from "./query/computed.js";
export { Value, Lower, Upper, Length, Concat, Coalesce, Now, type Literal } from "./query/functions.js";
export { Case, When, WhenClause, type CaseOptions, type WhenCondition, type Result as CaseResult } from "./query/conditional.js";
export { Exists, Subquery, OuterRef, OuterReference, type SubqueryOf } from "./query/subqueries.js";
export type { DatePart } from "./query/transforms.js";
export type { BulkCreateOptions, FilterArgument } from "./query/queryset.js";
export type { ValuesRow, ValuesListOptions } from "./query/values.js";
export { registerLookup, type Lookup, type LookupContext, type Expression } from "./query/lookups.js";
export type { Dialect, IsolationLevel } from "./dialects/index.js";
export type { Driver, Connection, QueryResult, PoolOptions, QueryOptions, StatementAbout, Operation } from "./drivers/driver.js";

// Every type an inferred model type can name, so that a project that emits declarations (`declaration: true`,
// libraries, composite projects) can write the type of `const Note = orm.Model.define(...)` and its rows.
export {
  IntegerField,
  BigIntegerField,
  FloatField,
  DecimalField,
  BooleanField,
  StringField,
  TextField,
  EnumField,
  UUIDField,
  DateField,
  TimeField,
  DateTimeField,
  JSONField,
  type NumberOptions,
  type DecimalOptions,
  type StringOptions,
  type DateTimeOptions,
  type FieldOwner,
} from "./model/fields.js";
export type { Typed } from "./model/columns.js";
export type { AnyModelClass } from "./model/model.js";
export type { ModelMeta } from "./model/meta.js";
export type { Stub, SelfReference } from "./query/typing.js";

import type { Instance, ModelClass } from "./model/model.js";
import type { FieldMap, CreateValues } from "./model/types.js";

/** The instance type of a model class: `orm.Infer<typeof Note>`. */
export type Infer<M> = M extends abstract new (...args: never[]) => infer I ? I : never;
/** What `create()` accepts for a model class. */
export type InferCreate<M> = M extends ModelClass<infer F extends FieldMap> ? CreateValues<F> : never;
export type { Instance as ModelInstance };
