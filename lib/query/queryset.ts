import { IntegrityError, MultipleMatches, NoMatch, SerializationError, TransactionError, UnknownFieldError, ValidationError } from "../errors.js";
import { FROM_DATABASE, META, rowMaker, rowState } from "../model/instance.js";
import { checkSlotRelations, place } from "../model/placement.js";
import { describe, type Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { Model, ModelClass } from "../model/model.js";
import { checkPrefetchPath, prefetch, prefetchTree } from "../relations/prefetch.js";
import { validateRows, validateSlots } from "../model/validation.js";
import { ownsKey } from "../model/reserved-names.js";
import {
  QUERY_STATE,
  QueryCompiler,
  emptyState,
  patchState,
  type Annotation,
  type Ordering,
  type QueryState,
  type ValuesSpec,
} from "./compiler.js";
import { Aggregate, type AggregateValues, type Annotatable, type Annotated } from "./aggregates.js";
import { Arithmetic, bindUpdateValue, OrderBy } from "./expressions.js";
import { rowShaper, valueColumns, type ValueOf, type ValuesKey, type ValuesListOptions, type ValuesRow, type ValuesTuple } from "./values.js";
import { isExpression, type Expression } from "./lookups.js";
import type { ColumnKeys, CreateValues, FieldInput, UpdatableKeys } from "../model/types.js";
import type { ColumnPath, FieldsOf, FilterObject, OrderKey, PrefetchPath, SelectPath, WithAllPrefetched, WithAllRelated } from "./typing.js";

type PrimaryKeyOf<T> = T extends { pk: infer K } ? K : unknown;
import { resolvePath, type RelationStep } from "./paths.js";
import { hasBigIntegers, insertRows, withModel } from "./persist.js";
import { updateRows } from "./bulk-update.js";
import { findTransform } from "./transforms.js";
import type { Conflict } from "../dialects/dialect.js";
import { compileSelect, compileStatement, compileUpdate } from "./statement-cache.js";
import { readRows, selectReader } from "./hydrate.js";
import { bindGet, getState, planGet, type GetPlan } from "./get-plan.js";
import type { CompiledQuery } from "../drivers/driver.js";
import { Database } from "../database.js";
import { mergeBounds, statementOptions, withStatementBounds, type StatementBounds, type StatementOptions } from "../statement-bounds.js";
import { Q, resolveCondition, type ConditionInput, type LookupObject } from "./where.js";
import { Computed, type BoundComputed } from "./computed.js";
import { about } from "./about.js";

export type Filter = LookupObject | Q;

/** How often updateOrCreate's own transaction runs again after a retryable failure (a lost race, a deadlock). */
const UPDATE_OR_CREATE_RETRIES = 5;

/** Each argument of filter()/exclude()/get(): a lookup object checked key by key against T, a Q, or a boolean expression (orm.Exists). */
export type FilterArgument<T> = FilterObject<T> | Q | Computed<boolean>;

/** What update() takes: field values, or expressions such as F("views").add(1). */
export type UpdateValues<T> = { [K in ColumnKeys<FieldsOf<T>>]?: FieldInput<FieldsOf<T>[K]> | Expression };

/**
 * An immutable query over one model. Every method that narrows it returns a new QuerySet; nothing
 * is sent until it is awaited, iterated, or asked for a result (`all`, `get`, `count`, ...).
 */
export class QuerySet<T = Model> implements PromiseLike<T[]>, AsyncIterable<T> {
  readonly #state: QueryState;

  constructor(
    readonly model: ModelClass,
    state: QueryState = emptyState,
  ) {
    this.#state = state;
  }

  /** What the query selects; a subclass may work it out when first asked (RelatedManager). */
  protected get state(): QueryState {
    return this.#state;
  }

  /** What orm.Exists() and orm.Subquery() compile this QuerySet from. */
  [QUERY_STATE](): QueryState {
    return this.state;
  }

  /** get()'s plans by lookup keys: a Manager lives as long as its model, so its plans serve every get() on it. */
  #getPlans: Map<string, GetPlan | null> | undefined;
  /** Likewise for the gets that run on another database than the model's (a router's), by that database. */
  #awayPlans: WeakMap<Database, Map<string, GetPlan | null>> | undefined;

  protected get meta(): ModelMeta {
    return this.model[META];
  }

  /**
   * The database this QuerySet's next statement runs on: the one using() named, else the router's choice, else the
   * owner's (a related manager's), else the model's own. Asked per statement: a router may answer per request.
   */
  #on(write: boolean): Database {
    const state = this.state;
    const home = this.meta.database;
    if (state.database === undefined && state.instance === undefined && home.router === undefined) return home;
    return place(this.meta, write, state.database, state.instance);
  }

  protected derive(patch: Partial<QueryState>): QuerySet<T> {
    return new QuerySet<T>(this.model, patchState(this.state, patch));
  }

  filter(...conditions: FilterArgument<T>[]): QuerySet<T> {
    return this.#narrow(conditions as unknown as ConditionInput[], false);
  }

  exclude(...conditions: FilterArgument<T>[]): QuerySet<T> {
    return this.#narrow(conditions as unknown as ConditionInput[], true);
  }

  // The typed methods above check keys against T; inside, conditions are plain lookup objects.
  #narrow(conditions: readonly ConditionInput[], negate: boolean): QuerySet<T> {
    const resolved = conditions.map((condition) => resolveCondition(this.meta, condition, this.state.annotations));
    if (resolved.length === 0) return this;
    // One condition for the call: what it says across a many-valued relation holds for one related row (see the compiler).
    const child = resolved.length === 1 ? resolved[0]! : { kind: "and" as const, children: resolved };
    return this.derive({ conditions: [...this.state.conditions, negate ? { kind: "not", child } : child] });
  }

  /**
   * Field names, `-name` for descending, relation paths such as `album__name`, or `F("name").desc({ nulls: "last" })`
   * to place rows without a value. Replaces earlier ordering.
   */
  orderBy(...names: (OrderKey<T> | OrderBy)[]): QuerySet<T> {
    const ordering = names.map((name): Ordering => {
      if (name instanceof OrderBy) {
        const term = this.#orderingTerm(name.name, name.descending);
        return name.nulls ? { ...term, nulls: name.nulls } : term;
      }
      if (typeof name !== "string" || name === "" || name === "-") throw this.meta.unknown(String(name), "field to order by");
      const descending = name.startsWith("-");
      return this.#orderingTerm(descending ? name.slice(1) : name, descending);
    });
    return this.derive({ ordering });
  }

  #orderingTerm(key: string, descending: boolean): Ordering {
    const annotation = this.state.annotations.length > 0 ? this.state.annotations.find((known) => known.name === key) : undefined;
    if (annotation) return { steps: [], field: this.meta.pk, descending, annotation };
    return orderingTerm(this.meta, descending ? `-${key}` : key, key, descending);
  }

  limit(count: number): QuerySet<T> {
    return this.derive({ limit: this.#count("limit", count) });
  }

  offset(count: number): QuerySet<T> {
    return this.derive({ offset: this.#count("offset", count) });
  }

  /**
   * Fetches these forward relations in the same SELECT, with JOINs (LEFT where the key may be null):
   * `selectRelated("album__artist")` fills `track.album` and `track.album.artist`.
   */
  selectRelated<const P extends readonly string[]>(...paths: P & readonly SelectPath<T>[]): QuerySet<WithAllRelated<T, P>>;
  selectRelated(...paths: string[]): QuerySet<T> {
    const related = [...this.state.related];
    for (const path of paths) {
      const steps: RelationStep[] = [];
      let current = this.meta;
      for (const name of String(path).split("__")) {
        const step = current.relations.get(name);
        if (!step || step.many || step.toField !== step.to.pk) {
          const forward = [...current.relations.values()].filter((hop) => hop.toField === hop.to.pk).map((hop) => hop.name);
          throw new UnknownFieldError(
            `${current.name} has no foreign key ${JSON.stringify(name)} to select (in ${JSON.stringify(path)}); it has: ${forward.join(", ") || "none"}` +
              (step ? ` (reverse relations load with prefetchRelated("${name}"))` : ""),
          );
        }
        steps.push(step);
        current = step.to;
        if (!related.some((known) => sameSteps(known, steps))) related.push([...steps]);
      }
    }
    return this.derive({ related }) as never;
  }

  /** Loads these relations (forward or reverse, nested with `__`) for all rows at once: one query per relation. */
  prefetchRelated<const P extends readonly string[]>(...paths: P & readonly PrefetchPath<T>[]): QuerySet<WithAllPrefetched<T, P>>;
  prefetchRelated(...paths: string[]): QuerySet<T> {
    for (const path of paths) checkPrefetchPath(this.meta, String(path));
    return this.derive({ prefetch: [...new Set([...this.state.prefetch, ...paths])] }) as never;
  }

  /**
   * `using(database)`: every statement of this QuerySet (reads, writes, create(), relation loads) runs on that
   * Database, compiled for its dialect, and the rows it reads remember it; no router is asked. The database needs the
   * model's table (`database.createAll(modelsDatabase)`).
   *
   * `using("primary")`: this query reads from the primary even where replicas are configured (a read that must see
   * a write made elsewhere). Writes and transactions always run on the primary.
   */
  using(target: "primary" | Database): QuerySet<T> {
    if (target === "primary") return this.derive({ onPrimary: true });
    if (target instanceof Database) return this.derive({ database: target });
    throw new ValidationError(`${this.meta.name}.objects.using() takes a Database or "primary", got ${describe(target)}`, this.meta.name);
  }

  /**
   * This query with every statement it sends bounded: `signal` cancels it on the server (QueryCancelledError),
   * `timeoutMs` is its time limit (StatementTimeoutError). For get(), `await qs`, and values() rows; every other
   * method that sends statements also takes `{ signal, timeoutMs }` as its last argument.
   */
  bounded(options: StatementOptions): QuerySet<T> {
    return this.derive({ bounds: mergeBounds(this.state.bounds, statementOptions(options)) });
  }

  /** This call's bounds: its own options over the QuerySet's (bounded()). */
  #bounds(options: StatementOptions | undefined): StatementBounds | undefined {
    return options === undefined ? this.state.bounds : mergeBounds(this.state.bounds, statementOptions(options));
  }

  /**
   * Without names, SELECT DISTINCT. With field names (PostgreSQL only: DISTINCT ON), one row per combination
   * of their values, the first in the ordering, which must start with the same fields.
   */
  distinct<const P extends readonly string[]>(...fields: P & readonly ColumnPath<T>[]): QuerySet<T>;
  distinct(...names: string[]): QuerySet<T> {
    if (names.length === 0) return this.derive({ distinct: true });
    const meta = this.meta;
    const { dialect } = this.state.database ?? meta.database;
    if (!dialect.distinctOn) {
      throw new ValidationError(
        `${meta.name}.objects.distinct(${names.map((name) => JSON.stringify(name)).join(", ")}): DISTINCT ON fields is PostgreSQL's alone and ${dialect.name} has none; use distinct() without fields, or values(...).distinct()`,
        meta.name,
      );
    }
    const distinctOn = names.map((name) => {
      const { steps, field, rest } = resolvePath(meta, String(name).split("__"), String(name));
      if (rest.length > 0 || steps.some((step) => step.many)) throw meta.unknown(String(name), "field to be distinct on");
      return { steps, field };
    });
    return this.derive({ distinctOn });
  }

  /**
   * Locks the rows read until the transaction ends (SELECT ... FOR UPDATE): another transaction's
   * selectForUpdate() of them waits, or with `skipLocked` leaves them out, or with `noWait` fails at once.
   * `of` names the tables locked ("self" and selectRelated paths), on PostgreSQL; MariaDB locks the rows
   * of every table read. SQLite's transactions hold the whole database's write lock from BEGIN, so it
   * adds nothing there. Outside a transaction it is a TransactionError, before any SQL.
   */
  selectForUpdate(options: { skipLocked?: boolean; noWait?: boolean; of?: readonly ("self" | SelectPath<T>)[] } = {}): QuerySet<T> {
    const meta = this.meta;
    const { skipLocked = false, noWait = false, of = [] } = options;
    if (skipLocked && noWait) throw new ValidationError(`${meta.name}.objects.selectForUpdate(): skipLocked and noWait exclude each other; pick one`, meta.name);
    const tables = of.map((path) => {
      if (path === "self") return [];
      const steps: RelationStep[] = [];
      let current = meta;
      for (const name of String(path).split("__")) {
        const step = current.relations.get(name);
        if (!step || step.many) throw new UnknownFieldError(`${current.name} has no foreign key ${JSON.stringify(name)} to lock (in selectForUpdate({ of: [${JSON.stringify(path)}] })); "self" locks ${meta.name}'s rows`);
        steps.push(step);
        current = step.to;
      }
      return steps;
    });
    return this.derive({ lock: { skipLocked, noWait, of: tables } });
  }

  /** A locking read (selectForUpdate) outside a transaction would release its locks at once: refused before any SQL. */
  #checkLock(database: Database): void {
    if (this.state.lock && !database.currentTransaction) {
      throw new TransactionError(`${this.meta.name}.objects.selectForUpdate() needs a transaction: its locks last until the transaction ends (database.transaction(async () => ...))`, false);
    }
  }

  /** Reads only these fields (and the primary key); reading another raises UnloadedFieldError. Replaces an earlier only(). */
  only(...names: string[]): QuerySet<T> {
    const chosen = new Set(names.map((name) => this.meta.field(String(name), "field to load").name));
    chosen.add(this.meta.pk.name);
    return this.#loading(this.meta.columns.filter((field) => chosen.has(field.name)));
  }

  /** Reads every field but these (the primary key is always read); reading one raises UnloadedFieldError. */
  defer(...names: string[]): QuerySet<T> {
    const deferred = new Set(names.map((name) => this.meta.field(String(name), "field to defer").name));
    deferred.delete(this.meta.pk.name);
    return this.#loading((this.state.fields ?? this.meta.columns).filter((field) => !deferred.has(field.name)));
  }

  #loading(fields: QueryState["fields"] & object): QuerySet<T> {
    return this.derive({ fields: fields.length === this.meta.columns.length ? undefined : fields });
  }

  /**
   * Adds a computed value per row, under its name: an aggregate (`Album.objects.annotate({ n: orm.Count("tracks") })`
   * gives albums with `album.n`, 0 for an album without tracks), a function (`orm.Lower("name")`), a Case, an
   * Exists or Subquery, or F("album__title"). An aggregate across a relation is a subquery per row, so a page
   * (limit) counts only its own rows' relations. After values(), an aggregate reads the rows of each group instead.
   * filter() and orderBy() take the names it adds.
   */
  annotate<const A extends Record<string, Annotatable>>(annotations: A): QuerySet<T & Annotated<A, T>> {
    const meta = this.meta;
    const added: Annotation[] = [];
    for (const [name, expression] of Object.entries(annotations)) {
      if (!(expression instanceof Computed) && !(expression instanceof Arithmetic)) {
        throw new ValidationError(`${meta.name}.objects.annotate(): "${name}" needs an aggregate or expression such as orm.Count("id") or orm.Lower("name")`, meta.name);
      }
      const taken = name === "" || name.includes("__") || name === "then" || name === "pk" || meta.fieldMap.has(name) || meta.relations.has(name) || name in meta.model.prototype;
      if (taken || [...this.state.annotations, ...added].some((known) => known.name === name)) {
        throw new ValidationError(`${meta.name}.objects.annotate(): the name "${name}" is taken (a field, relation, method or earlier annotation) or has "__"; pick another`, meta.name);
      }
      const bound = expression.bind(meta) as BoundComputed;
      // Worked out now, so that arithmetic on what is not a number is refused here, not when the rows are read.
      if (!bound.output) throw new ValidationError(`${meta.name}.objects.annotate(): "${name}" gives no value`, meta.name);
      added.push({ name, expression: bound });
    }
    const values = this.state.values && {
      ...this.state.values,
      columns: [...this.state.values.columns, ...added.map((annotation) => ({ name: annotation.name, annotation }))],
      grouped: this.state.values.grouped || Object.values(annotations).some((expression) => expression instanceof Aggregate),
    };
    // Rows grouped by values() are not the model's rows: its default ordering, over other columns, does not apply (as in Django).
    const ordering = values && this.state.ordering === defaultState(meta).ordering ? [] : this.state.ordering;
    return new QuerySet<T & Annotated<A, T>>(this.model, patchState(this.state, { annotations: [...this.state.annotations, ...added], values, ordering }));
  }

  /**
   * One row of aggregates over the matching rows: `{ n: orm.Count("id"), top: orm.Max("id") }` gives
   * `{ n: 3, top: 3 }`. Over no rows Count is 0 and the others null.
   */
  async aggregate<const A extends Record<string, Aggregate<unknown>>>(aggregates: A, options?: StatementOptions): Promise<AggregateValues<A, T>> {
    const meta = this.meta;
    const entries = Object.entries(aggregates);
    if (entries.length === 0) throw new ValidationError(`${meta.name}.objects.aggregate() needs at least one aggregate, such as { n: orm.Count("id") }`, meta.name);
    for (const [name, aggregate] of entries) {
      if (!(aggregate instanceof Aggregate)) throw new ValidationError(`${meta.name}.objects.aggregate(): "${name}" needs an aggregate such as orm.Sum("price")`, meta.name);
    }
    const aggregated = entries.map(([, aggregate]) => aggregate as Aggregate);
    const { annotations } = this.state;
    // An aggregate of an annotation (`annotate({ n: Count("tags") })` then `Max("n")`) reads the annotated rows as a table.
    const overRows = aggregated.some((aggregate) => aggregate.path !== undefined && !meta.fieldMap.has(aggregate.path) && annotations.some((annotation) => annotation.name === aggregate.path));
    const values: ValuesSpec | undefined = !overRows
      ? undefined
      : (this.state.values ?? { columns: valueColumns(meta, annotations, [...new Set(aggregated.flatMap((aggregate) => aggregate.path ?? []))]), shape: "array", grouped: false });
    const bound = aggregated.map((aggregate) => (values ? aggregate.bindOver(meta, values.columns) : aggregate.bind(meta)));
    const database = this.#on(false);
    this.#checkLock(database);
    const compiler = this.#compiler(database);
    const statement = values ? compiler.aggregateOver(patchState(this.state, { values }), bound) : compiler.aggregate(this.state, bound);
    const exactIntegers = bound.some((aggregate) => aggregate.exactIntegers);
    const result = await database.run(statement, { about: about(meta, "SELECT"), primary: this.state.onPrimary, arrayRows: true, exactIntegers, ...this.#bounds(options) });
    const row = result.rows[0] as unknown[];
    return Object.fromEntries(entries.map(([name], index) => [name, bound[index]!.decode(row[index], compiler)])) as AggregateValues<A, T>;
  }

  /** A QuerySet of plain objects of these fields, relation paths (joined) and annotations: `values("id", "album__title")`. */
  values<const K extends ValuesKey<T>>(...names: K[]): QuerySet<ValuesRow<T, K>> {
    return this.#values<ValuesRow<T, K>>(names, "object");
  }

  /** A QuerySet of arrays of these values (typed per position); with `{ flat: true }` and one name, of the values themselves. */
  valuesList<const K extends string>(name: K & ValuesKey<T>, options: ValuesListOptions & { flat: true }): QuerySet<ValueOf<T, K>>;
  valuesList<const K extends readonly ValuesKey<T>[]>(...names: K): QuerySet<ValuesTuple<T, K>>;
  valuesList<const K extends readonly ValuesKey<T>[]>(...args: [...names: K, options: { flat: false }]): QuerySet<ValuesTuple<T, K>>;
  // Returns `never` for the overloads' sake: comparing generic QuerySet types structurally is too deep for the checker.
  valuesList(...args: unknown[]): never {
    const last = args[args.length - 1];
    const options = typeof last === "object" && last !== null ? (args.pop() as ValuesListOptions) : {};
    const names = args as string[];
    if (options.flat && names.length !== 1) {
      throw new ValidationError(`${this.meta.name}.objects.valuesList(..., { flat: true }) takes exactly one field, got ${names.length}`, this.meta.name);
    }
    return this.#values<unknown>(names, options.flat ? "flat" : "array") as never;
  }

  #values<R>(names: readonly string[], shape: ValuesSpec["shape"]): QuerySet<R> {
    const columns = valueColumns(this.meta, this.state.annotations, names);
    const before = this.state.values;
    // values("album").annotate({ n }).values("n"): still one row per album (as in Django), the album not selected.
    const values: ValuesSpec = before?.grouped ? { columns, shape, grouped: true, groupBy: before.groupBy ?? before.columns } : { columns, shape, grouped: false };
    return new QuerySet<R>(this.model, patchState(this.state, { values }));
  }

  #count(method: string, count: number): number {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new ValidationError(`${this.meta.name}.objects.${method}() needs a whole number >= 0, got ${String(count)}`, this.meta.name);
    }
    return count;
  }

  #compiler(database: Database): QueryCompiler {
    return new QueryCompiler(this.meta, database.dialect);
  }

  /**
   * Every row; `signal` and `timeoutMs` bound the SELECT (QueryCancelledError, StatementTimeoutError). The promise
   * refuses JSON.stringify: `res.json(Note.objects.all())` without await would send `{}`.
   */
  all(options?: StatementOptions): Promise<T[]> {
    let rows: Promise<T[]>;
    try {
      rows = this.#rows(this.#bounds(options));
    } catch (error) {
      rows = Promise.reject(error);
    }
    Object.defineProperty(rows, "toJSON", { value: () => this.toJSON() });
    return rows;
  }

  async #rows(bounds: StatementBounds | undefined): Promise<T[]> {
    const database = this.#on(false);
    const { query, read } = this.#reader(database);
    const result = await database.runCompiled(query, { about: about(this.meta, "SELECT"), primary: this.state.onPrimary, arrayRows: true, exactIntegers: this.#exactIntegers(), ...bounds });
    const rows = readRows(result.rows as unknown[], read);
    if (this.state.prefetch.length > 0 && !this.state.values) {
      const load = () => prefetch(this.meta, rows as object[], prefetchTree(this.state.prefetch), database);
      await withStatementBounds(bounds, () => (this.state.onPrimary ? database.onPrimary(load) : load()));
    }
    return rows;
  }

  /** The SELECT this QuerySet sends, as the configured database gets it: its text (with that database's placeholders) and values. */
  toSQL(): { sql: string; values: unknown[] } {
    const { query } = this.#reader(this.#on(false));
    return { sql: query.text, values: [...query.values] };
  }

  /** The database's plan for this QuerySet's SELECT (PostgreSQL's EXPLAIN, MySQL's EXPLAIN FORMAT=JSON, SQLite's EXPLAIN QUERY PLAN), as text. */
  async explain(options?: StatementOptions): Promise<string> {
    const database = this.#on(false);
    const { query } = this.#reader(database);
    const { dialect } = database;
    const result = await database.runCompiled({ text: `${dialect.explainPrefix}${query.text}`, values: query.values }, { primary: this.state.onPrimary, ...this.#bounds(options) });
    return dialect.planText(result.rows as Record<string, unknown>[]);
  }

  /** JSON.stringify of a QuerySet (`res.json(Note.objects.filter(...))` without await) would send `{}`: it says to await it instead. */
  toJSON(): never {
    throw new TypeError(`A QuerySet of ${this.meta.name} is a query, not its rows: await it first (res.json(await ${this.meta.name}.objects.all()))`);
  }

  /** The SELECT, and what turns each of its rows into an element: an instance, or a values() row. */
  #reader(database: Database): { query: CompiledQuery; read: (row: readonly unknown[]) => T } {
    this.#checkLock(database);
    if (this.state.values) {
      const { statement, decoders } = this.#compiler(database).values(this.state);
      return { query: database.compile(statement), read: rowShaper(this.state.values, decoders) as (row: readonly unknown[]) => T };
    }
    const select = compileSelect(this.meta, this.state, database);
    const away = database === this.meta.database ? undefined : database;
    return { query: select.query, read: selectReader(this.model, this.state, select, away) as (row: readonly unknown[]) => T };
  }

  #exactIntegers(): boolean {
    const { related, annotations, values } = this.state;
    return (
      hasBigIntegers(this.meta) ||
      related.some((steps) => hasBigIntegers(steps[steps.length - 1]!.to)) ||
      annotations.some((annotation) => annotation.expression.exactIntegers) ||
      (values?.columns.some((column) => "field" in column && column.field.kind === "bigint") ?? false)
    );
  }

  /** The one row matching; NoMatch if none, MultipleMatches if more. */
  get(...conditions: FilterArgument<T>[]): Promise<T> {
    if (conditions.length > 0 && this.meta.database.nPlusOne.active) this.#reportGet(conditions as unknown as Filter[]);
    return this.#get(conditions as unknown as Filter[]);
  }

  /** A get() is one row's query: many from one call site in a scope are an N+1 that one filter(`__in`) replaces. */
  #reportGet(conditions: readonly Filter[]): void {
    const [lookups] = conditions;
    const keys = conditions.length === 1 && lookups !== null && typeof lookups === "object" && !(lookups instanceof Q) ? Object.keys(lookups) : [];
    const { name, pk } = this.meta;
    const byKey = keys.length === 1 && (keys[0] === "pk" || keys[0] === pk.name);
    const fix = byKey ? `${name}.objects.inBulk([...keys])` : `one ${name}.objects.filter({ ${keys[0] ?? "field"}__in: [...] }) for all of them`;
    this.meta.database.nPlusOne.lazyLoad("get", name, keys.join(", ") || "a condition", fix);
  }

  // Not async: the commonest read there is saves an async frame and its extra promise.
  #get(conditions: readonly Filter[]): Promise<T> {
    let rows: Promise<T[]>;
    try {
      const database = this.#on(false);
      this.#checkLock(database);
      rows = (conditions.length === 1 && this.#getByPlan(conditions[0]!, database)) || this.#getFrom(database, conditions);
    } catch (error) {
      return Promise.reject(error);
    }
    return rows.then((found) => {
      if (found.length === 0) throw new NoMatch(`${this.meta.name} matching ${describeFilters(conditions)} does not exist`);
      if (found.length > 1) throw new MultipleMatches(`More than one ${this.meta.name} matches ${describeFilters(conditions)}`);
      return found[0]!;
    });
  }

  /** get() the general way, on the database it was placed on (the router is asked once per statement). */
  #getFrom(database: Database, conditions: readonly Filter[]): Promise<T[]> {
    const state = getState(this.meta, this.state, conditions);
    return new QuerySet<T>(this.model, database === this.meta.database ? state : patchState(state, { database })).all();
  }

  /** get() by a lookup object, through the plan for its keys (see get-plan.ts); undefined where none serves. */
  #getByPlan(lookups: Filter, database: Database): Promise<T[]> | undefined {
    if (lookups instanceof Q || lookups === null || typeof lookups !== "object" || Array.isArray(lookups)) return undefined;
    if (this.state.prefetch.length > 0 || this.state.values) return undefined;
    let signature: string | undefined;
    for (const key in lookups) if (ownsKey(lookups, key)) signature = signature === undefined ? key : `${signature}\u0000${key}`;
    if (signature === undefined) return undefined;
    const plans = database === this.meta.database ? (this.#getPlans ??= new Map()) : this.#plansOn(database);
    let plan = plans.get(signature);
    if (plan === undefined) {
      plan = planGet(this.model, this.state, lookups, { about: about(this.meta, "SELECT"), primary: this.state.onPrimary, arrayRows: true, exactIntegers: this.#exactIntegers() }, database);
      if (plans.size < 100) plans.set(signature, plan); // a program gets by a few sets of keys
    }
    const query = plan && bindGet(this.meta, plan, lookups);
    if (!query) return undefined;
    const { read } = plan!;
    const options = this.state.bounds ? { ...plan!.options, ...this.state.bounds } : plan!.options;
    return database.runCompiled(query, options).then((result) => readRows(result.rows as unknown[], read) as T[]);
  }

  /** get()'s plans for another database than the model's: its rows remember that database, so its plans are its own. */
  #plansOn(database: Database): Map<string, GetPlan | null> {
    const byDatabase = (this.#awayPlans ??= new WeakMap());
    let plans = byDatabase.get(database);
    if (!plans) byDatabase.set(database, (plans = new Map()));
    return plans;
  }

  /** The first row (by primary key unless ordered), or null. */
  async first(options?: StatementOptions): Promise<T | null> {
    const ordered = this.state.ordering.length > 0 ? this : this.orderBy(this.meta.pk.name);
    const [row] = await ordered.limit(1).all(options);
    return row ?? null;
  }

  /** The last row (by primary key unless ordered), or null. */
  async last(options?: StatementOptions): Promise<T | null> {
    const ordering = this.state.ordering.length > 0 ? this.state.ordering : [{ steps: [], field: this.meta.pk, descending: false }];
    const reversed = ordering.map((term) => ({ ...term, descending: !term.descending }));
    const [row] = await this.derive({ ordering: reversed }).limit(1).all(options);
    return row ?? null;
  }

  async count(options?: StatementOptions): Promise<number> {
    const database = this.#on(false);
    this.#checkLock(database);
    const query = compileStatement(this.meta, database, "count", this.state, (compiler) => compiler.count(this.state));
    const result = await database.runCompiled(query, { about: about(this.meta, "SELECT"), primary: this.state.onPrimary, arrayRows: true, ...this.#bounds(options) });
    return Number((result.rows[0] as unknown[])[0]);
  }

  async exists(options?: StatementOptions): Promise<boolean> {
    const database = this.#on(false);
    this.#checkLock(database);
    const query = compileStatement(this.meta, database, "exists", this.state, (compiler) => compiler.exists(this.state));
    const result = await database.runCompiled(query, { about: about(this.meta, "SELECT"), primary: this.state.onPrimary, arrayRows: true, ...this.#bounds(options) });
    return result.rows.length > 0;
  }

  /** Sets fields on every matching row in one UPDATE; returns how many rows matched. */
  async update(values: UpdateValues<T>, options?: StatementOptions): Promise<number> {
    const meta = this.meta;
    const expressions = Object.entries(values).filter(([, value]) => isExpression(value));
    const plain = Object.fromEntries(Object.entries(values).filter(([, value]) => !isExpression(value)));
    const bound = expressions.map(([name, value]) => [meta.field(name), bindUpdateValue(meta, name, value as Expression)] as const);
    const slots = validateSlots(meta, plain, { partial: true });
    for (const field of meta.fields) {
      if ((field.options as { autoNow?: boolean }).autoNow && !(field.name in values)) slots[field.slot] = new Date();
    }
    const assigned = meta.fields.filter((field) => slots[field.slot] !== undefined).map((field) => [field, slots[field.slot]] as const);
    if (assigned.length === 0 && bound.length === 0) return this.count(options);
    const database = this.#on(true);
    checkSlotRelations(meta, slots, database);
    const query = compileUpdate(meta, database, this.state, assigned, bound);
    const result = await withModel(meta, database.runCompiled(query, { about: about(meta, "UPDATE"), ...this.#bounds(options) }));
    return result.rowsAffected;
  }

  /** Deletes every matching row; returns how many. */
  async delete(options?: StatementOptions): Promise<number> {
    const database = this.#on(true);
    const query = compileStatement(this.meta, database, "delete", this.state, (compiler) => compiler.delete(this.state));
    const result = await withModel(this.meta, database.runCompiled(query, { about: about(this.meta, "DELETE"), ...this.#bounds(options) }));
    return result.rowsAffected;
  }

  async create(values: CreateValues<FieldsOf<T>>, options?: StatementOptions): Promise<T> {
    const instance = new this.model(values as never) as unknown as Model;
    const database = this.#on(true);
    await withStatementBounds(this.#bounds(options), () => instance.save({ using: database }));
    return instance as unknown as T;
  }

  /**
   * Inserts many rows with as few statements as the database allows, all or none; returns the saved instances.
   * `onConflict: "ignore"` skips rows that clash with an existing one on a unique key; `{ target, update }`
   * updates those fields of the existing row instead (an upsert; MySQL matches any unique key, whatever
   * `target` says). With onConflict, keys the database generates are not read back (null), as in Django.
   */
  async bulkCreate(rows: readonly CreateValues<FieldsOf<T>>[], options: BulkCreateOptions<T> & StatementOptions = {}): Promise<T[]> {
    if (!Array.isArray(rows)) throw new ValidationError(`${this.meta.name}.objects.bulkCreate() needs an array of objects`, this.meta.name);
    const conflict = options.onConflict === undefined ? undefined : conflictColumns(this.meta, options.onConflict);
    return withStatementBounds(this.#bounds(options), () => this.#createRows(rows, conflict));
  }

  /**
   * bulkCreate's rows checked, inserted and made instances. Apart from the options: an async function is never
   * inlined, so the code that loops over the rows meets no hidden class of a caller's options object, which V8
   * forgets once no such object is left, deoptimizing the code that met it (see insertBatches).
   */
  async #createRows(rows: readonly CreateValues<FieldsOf<T>>[], conflict: ConflictFields | undefined): Promise<T[]> {
    const meta = this.meta;
    const slots = validateRows(meta, rows, { partial: false, applyDefaults: true }, `${meta.name}.objects.bulkCreate()`);
    if (conflict && conflict.update.length > 0) refuseRepeatedTargets(meta, conflict.target, slots);
    const database = this.#on(true);
    for (const row of slots) checkSlotRelations(meta, row, database);
    await insertRows(meta, database, slots, conflict?.columns);
    // Each row now holds what its table holds, its key too: it becomes an instance as a row read back would, checked once.
    const state = rowState(FROM_DATABASE, database === meta.database ? undefined : database);
    return slots.map(rowMaker<T>(this.model, state));
  }

  /** Writes these fields of each instance, in one UPDATE per batch of rows; returns how many rows matched. */
  async bulkUpdate(instances: readonly T[], fields: readonly UpdatableKeys<FieldsOf<T>>[], options?: StatementOptions): Promise<number> {
    const { limit, offset } = this.state;
    if (limit !== undefined || offset !== undefined) {
      // Each batch narrows the QuerySet by its keys: a slice would then be taken of those rows, not of the QuerySet's.
      throw new ValidationError(`${this.meta.name}.objects.bulkUpdate() cannot write through a sliced QuerySet (limit/offset); filter it instead`, this.meta.name);
    }
    const database = this.#on(true);
    return withStatementBounds(this.#bounds(options), () => updateRows(this.meta, database, this.state, instances as readonly object[], fields));
  }

  /** The row matching `lookup`, or a new one made of its plain field values and `defaults`; `[instance, created]`. */
  async getOrCreate(lookup: FilterObject<T>, defaults: Partial<CreateValues<FieldsOf<T>>> = {}, options?: StatementOptions): Promise<[T, boolean]> {
    return withStatementBounds(this.#bounds(options), () => this.#getOrCreate(lookup, defaults));
  }

  async #getOrCreate(lookup: FilterObject<T>, defaults: Partial<CreateValues<FieldsOf<T>>>): Promise<[T, boolean]> {
    const existing = await this.#find(lookup as LookupObject);
    if (existing) return [existing, false];
    try {
      const create = () => this.create({ ...plainValues(this.meta, lookup as LookupObject), ...defaults } as CreateValues<FieldsOf<T>>);
      // Inside a transaction the INSERT gets a savepoint of its own, so losing the race fails it alone.
      const database = this.#on(true);
      return [await (database.currentTransaction ? database.transaction(create) : create()), true];
    } catch (error) {
      // Another caller may have created it between our read and our write: theirs wins.
      const raced = await this.#find(lookup as LookupObject);
      if (raced) return [raced, false];
      // Inside a transaction whose snapshot predates the winner's commit (REPEATABLE READ, SERIALIZABLE: MariaDB's
      // default), its row cannot be read here: only the transaction run again can, as for a serialization failure.
      if (error instanceof IntegrityError && this.#on(true).currentTransaction) {
        throw new SerializationError(
          `${this.meta.name}.objects.getOrCreate(): another transaction created the matching row after this transaction's snapshot was taken, so it cannot be read here; run the transaction again (database.transaction(fn, { retries: 3 }) does)`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Updates the row matching `lookup` with `defaults`, or creates it; `[instance, created]`. */
  async updateOrCreate(lookup: FilterObject<T>, defaults: Partial<CreateValues<FieldsOf<T>>> = {}, options?: StatementOptions): Promise<[T, boolean]> {
    // Its own transaction (when it is not inside one) runs again after losing a race it cannot see past.
    const upsert = (): Promise<[T, boolean]> =>
      this.#on(true).transaction(
        async () => {
          const [instance, created] = await this.#getOrCreate(lookup, defaults);
          if (!created && Object.keys(defaults).length > 0) await (instance as unknown as Model).update(defaults);
          return [instance, created];
        },
        { retries: UPDATE_OR_CREATE_RETRIES },
      );
    return withStatementBounds(this.#bounds(options), upsert);
  }

  async #find(lookup: LookupObject): Promise<T | undefined> {
    try {
      return await this.#get([lookup]);
    } catch (error) {
      if (error instanceof NoMatch) return undefined;
      throw error;
    }
  }

  /** Rows where any String or Text field contains `term`, ignoring case. */
  search(term: string): QuerySet<T> {
    const fields = this.meta.fields.filter((field) => field.kind === "string" || field.kind === "text");
    if (term === "" || fields.length === 0) return this;
    return this.#narrow([Q.or(...fields.map((field) => ({ [`${field.name}__icontains`]: term })))], false);
  }

  /** A Map from primary key to instance for these keys (missing keys are absent). */
  async inBulk(keys: readonly PrimaryKeyOf<T>[], options?: StatementOptions): Promise<Map<PrimaryKeyOf<T>, T>> {
    const rows = keys.length === 0 ? [] : await this.#narrow([{ pk__in: keys }], false).all(options);
    return new Map(rows.map((row) => [(row as unknown as Model).pk as PrimaryKeyOf<T>, row]));
  }

  /** Rows one at a time from a cursor (PostgreSQL), a streaming read (MySQL) or a statement iterator (SQLite). */
  async *iterate(options: { batchSize?: number } = {}): AsyncGenerator<T, void, undefined> {
    const batchSize = options.batchSize ?? 500;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new ValidationError(`${this.meta.name}.objects.iterate() needs a whole batchSize >= 1, got ${String(batchSize)}`, this.meta.name);
    }
    if (this.state.bounds) {
      // A cursor's reads are not cancelled on the server yet: a bound that did nothing would be worse than none.
      throw new ValidationError(`${this.meta.name}.objects.bounded(...) cannot be iterated yet (a stream's reads are not cancelled on the server); await it, or read pages with all({ signal, timeoutMs })`, this.meta.name);
    }
    const database = this.#on(false);
    const { query, read } = this.#reader(database);
    for await (const row of database.streamCompiled(query, batchSize, { about: about(this.meta, "SELECT"), primary: this.state.onPrimary, arrayRows: true, exactIntegers: this.#exactIntegers() })) {
      yield read(row as unknown[]);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.iterate();
  }

  then<R1 = T[], R2 = never>(
    onFulfilled?: ((rows: T[]) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    // Awaited, the rows' promise is never stringified: it skips all()'s guard unless a subclass overrides all().
    const rows = this.all === QuerySet.prototype.all ? this.#rows(this.state.bounds) : this.all();
    return rows.then(onFulfilled, onRejected);
  }

  /** `qs.catch(fn)`: the rows, or what `fn` makes of the failure, as with a promise. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T[] | R> {
    return this.all().catch(onRejected);
  }

  /** `qs.finally(fn)`: the rows (or the failure), once `fn` has run, as with a promise. */
  finally(onFinally?: (() => void) | null): Promise<T[]> {
    return this.all().finally(onFinally);
  }
}

/** What bulkCreate() does with rows that clash with existing ones on a unique key. */
export interface BulkCreateOptions<T> {
  readonly onConflict?: "ignore" | { readonly target: readonly (ColumnKeys<FieldsOf<T>> & string)[]; readonly update: readonly UpdatableKeys<FieldsOf<T>>[] };
}

/** An upsert's fields, and its statement's columns. */
interface ConflictFields {
  readonly target: readonly Field[];
  readonly update: readonly Field[];
  readonly columns: Conflict;
}

/** Conflict specs kept per model (a program uses few; past it, each is worked out every time). */
const MAX_CONFLICT_SPECS = 64;
const conflictSpecs = new WeakMap<ModelMeta, Map<string, ConflictFields>>();

/**
 * onConflict as fields and columns, checked. Kept per model and spec: a program repeats its few, and the objects
 * of one kept (see #createRows) keep their hidden classes alive too.
 */
function conflictColumns(meta: ModelMeta, onConflict: NonNullable<BulkCreateOptions<unknown>["onConflict"]>): ConflictFields {
  const key = conflictKey(onConflict);
  let specs = conflictSpecs.get(meta);
  if (!specs) conflictSpecs.set(meta, (specs = new Map()));
  let fields = key === undefined ? undefined : specs.get(key);
  if (!fields) {
    fields = checkedConflict(meta, onConflict);
    if (key !== undefined && specs.size < MAX_CONFLICT_SPECS) specs.set(key, fields);
  }
  return fields;
}

/** What tells one onConflict from another: undefined for one of names that are not all strings (it is checked each time). */
function conflictKey(onConflict: unknown): string | undefined {
  if (onConflict === "ignore") return onConflict;
  if (typeof onConflict !== "object" || onConflict === null) return undefined;
  const { target, update } = onConflict as { target?: unknown; update?: unknown };
  const names = (list: unknown) => Array.isArray(list) && list.every((name) => typeof name === "string");
  return names(target) && names(update) ? JSON.stringify([target, update]) : undefined;
}

function checkedConflict(meta: ModelMeta, onConflict: NonNullable<BulkCreateOptions<unknown>["onConflict"]>): ConflictFields {
  const key = meta.pk.column;
  if (onConflict === "ignore") return { target: [], update: [], columns: { target: [], update: [], key } };
  const where = `${meta.name}.objects.bulkCreate(rows, { onConflict })`;
  if (typeof onConflict !== "object" || onConflict === null || !Array.isArray(onConflict.target) || onConflict.target.length === 0 || !Array.isArray(onConflict.update)) {
    throw new ValidationError(`${where} takes "ignore" or { target: [unique fields], update: [fields to overwrite] }`, meta.name);
  }
  const target = onConflict.target.map((name) => meta.field(String(name), "unique field (onConflict target)"));
  if (!meta.isUnique(target.map((field) => field.name))) {
    // SQLite and PostgreSQL would refuse the statement; MySQL would match any other unique key instead.
    throw new ValidationError(`${where}: no unique field, constraint or index of ${meta.name} is exactly (${target.map((field) => field.name).join(", ")}), so no row can clash on it`, meta.name);
  }
  const update = onConflict.update.map((name) => {
    const field = meta.field(String(name), "field to update (onConflict update)");
    if (field === meta.pk) throw new ValidationError(`${where}: the primary key ${field.name} cannot be one of the fields to update: the existing row would take the new row's key`, meta.name, field.name);
    return field;
  });
  return { target, update, columns: { target: target.map((field) => field.column), update: update.map((field) => field.column), key } };
}

/**
 * Two rows of one upsert with the same target values would both update one existing row: PostgreSQL refuses the
 * statement, SQLite and MariaDB apply both in turn. Refused on all three, before any SQL, naming the rows.
 */
function refuseRepeatedTargets(meta: ModelMeta, target: readonly Field[], slots: readonly unknown[][]): void {
  const [only] = target;
  // Rows given in the order of their keys, as they mostly are, repeat none: one pass tells, with no Map of 10,000 keys.
  if (target.length === 1 && ascending(slots, only!)) return;
  const seen = new Map<unknown, number>();
  for (let position = 0; position < slots.length; position++) {
    const slot = slots[position]!;
    // One field (a key, mostly): its value itself, row after row; several: their texts joined.
    const key = target.length === 1 ? targetKey(slot[only!.slot]) : joinedTargetKey(target, slot);
    if (key === undefined) continue;
    const earlier = seen.get(key);
    if (earlier === undefined) {
      seen.set(key, position);
      continue;
    }
    const named = target.map((field) => `${field.name} ${describe(slot[field.slot])}`).join(", ");
    throw new ValidationError(
      `${meta.name}.objects.bulkCreate(rows, { onConflict }): rows ${earlier} and ${position} both have ${named}, so one call would update the same row twice; merge them first`,
      meta.name,
      target[0]!.name,
    );
  }
}

/**
 * What tells one checked value of a field from another: the value, a Date by its time (each field's checked values
 * are of one type, so a number never meets its text); undefined for none (null never clashes).
 */
function targetKey(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  return value instanceof Date ? value.getTime() : value;
}

/** Whether the rows' values of `field` (null ones aside) rise strictly: numbers, texts, bigints, Dates by their time. */
function ascending(slots: readonly unknown[][], field: Field): boolean {
  let previous: number | string | bigint | undefined;
  for (let position = 0; position < slots.length; position++) {
    const key = targetKey(slots[position]![field.slot]) as number | string | bigint | undefined;
    if (key === undefined) continue;
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
  }
  return true;
}

function joinedTargetKey(target: readonly Field[], slot: readonly unknown[]): string | undefined {
  const keys = target.map((field) => targetKey(slot[field.slot]));
  return keys.includes(undefined) ? undefined : keys.map(String).join("\u0000");
}

function sameSteps(a: readonly RelationStep[], b: readonly RelationStep[]): boolean {
  return a.length === b.length && a.every((step, index) => step === b[index]);
}

/** `Model.objects`: the QuerySet of every row, in the model's default ordering, where queries start. */
export class Manager<T extends object = Model> extends QuerySet<T> {
  #state: QueryState | undefined;

  // Worked out when first queried: an ordering across a relation needs the related model defined.
  protected override get state(): QueryState {
    return (this.#state ??= defaultState(this.meta));
  }
}

/** By model: the state its QuerySets start from, which holds the model's `ordering` option. */
const defaultStates = new WeakMap<ModelMeta, QueryState>();

/** The state of every row of the model, in its default ordering. */
export function defaultState(meta: ModelMeta): QueryState {
  let state = defaultStates.get(meta);
  if (!state) {
    const ordering = meta.ordering.map((name) => orderingTerm(meta, name, name.replace(/^-/, ""), name.startsWith("-")));
    defaultStates.set(meta, (state = ordering.length > 0 ? patchState(emptyState, { ordering }) : emptyState));
  }
  return state;
}

/** Ordering terms already resolved, by model: an orderBy() name names the same path every time (successes only). */
const orderingTerms = new WeakMap<ModelMeta, Map<string, Ordering>>();

function orderingTerm(meta: ModelMeta, name: string, key: string, descending: boolean): Ordering {
  let byName = orderingTerms.get(meta);
  const known = byName?.get(name);
  if (known) return known;
  const { steps, field, rest } = resolvePath(meta, key.split("__"), key);
  const transform = rest.length === 1 ? findTransform(field, rest[0]!, key) : undefined;
  if (rest.length > 0 && !transform) throw field.owner === meta ? meta.unknown(key, "field to order by") : meta.unknown(rest.join("__"), "field to order by", key);
  if (!byName) orderingTerms.set(meta, (byName = new Map()));
  const term = transform ? { steps, field, descending, transform } : { steps, field, descending };
  if (byName.size < 1000) byName.set(name, term);
  return term;
}

/** The lookup's plain `field: value` pairs (no operators, no relation paths): what a created row can take from it. */
function plainValues(meta: ModelMeta, lookup: LookupObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(lookup).filter(([key]) => key === "pk" || meta.fieldMap.has(key) || key.endsWith("__exact") && meta.fieldMap.has(key.slice(0, -7))).map(([key, value]) => [key.replace(/__exact$/, ""), value]));
}

function describeFilters(conditions: readonly Filter[]): string {
  if (conditions.length === 0) return "the query";
  return conditions
    .map((condition) => (condition instanceof Q ? `Q.${condition.kind}(...)` : JSON.stringify(condition, (_, value) => (typeof value === "bigint" ? `${value}n` : value))))
    .join(" and ");
}
