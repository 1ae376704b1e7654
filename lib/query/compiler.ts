import sql, { empty, join, raw, type Sql } from "sql-template-tag";
import { readNumber, unchanged, type Codec, type Dialect } from "../dialects/dialect.js";
import { ValidationError } from "../errors.js";
import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { Database } from "../database.js";
import type { BoundAggregate } from "./aggregates.js";
import type { BoundComputed } from "./computed.js";
import type { RelationStep } from "./paths.js";
import type { Transform } from "./transforms.js";
import type { Condition, LookupCondition } from "./where.js";
import type { StatementBounds } from "../statement-bounds.js";

export interface Ordering {
  readonly steps: readonly RelationStep[];
  readonly field: Field;
  readonly descending: boolean;
  /** Set when ordering by an annotate() name: the aggregate is the sort key (`field` is then unused). */
  readonly annotation?: Annotation;
  /** Set when ordering by a part of the field (`date__year`). */
  readonly transform?: Transform;
  /** Where nulls go, when asked (F(...).asc({ nulls })); else where the database puts them. */
  readonly nulls?: "first" | "last";
}

/** A value annotate() adds to each row, under its name: an aggregate, a function, a subquery. */
export interface Annotation {
  readonly name: string;
  readonly expression: BoundComputed;
}

/** selectForUpdate(): rows locked until the transaction ends. */
export interface RowLock {
  /** Rows another transaction holds are left out rather than waited for. */
  readonly skipLocked: boolean;
  /** A row another transaction holds fails the query at once rather than waiting. */
  readonly noWait: boolean;
  /** The tables whose rows are locked (the model's own, and selectRelated ones), by path; all when empty. */
  readonly of: readonly (readonly RelationStep[])[];
}

/** A column of distinct(...fields): rows with equal values in these keep only the first (PostgreSQL's DISTINCT ON). */
export interface DistinctColumn {
  readonly steps: readonly RelationStep[];
  readonly field: Field;
}

/** One column of values()/valuesList(): a field (across forward or reverse relations), or an annotation. */
export type ValueColumn =
  | { readonly name: string; readonly steps: readonly RelationStep[]; readonly field: Field; readonly transform?: Transform }
  | { readonly name: string; readonly annotation: Annotation };

/** What values()/valuesList() return instead of instances. */
export interface ValuesSpec {
  readonly columns: readonly ValueColumn[];
  readonly shape: "object" | "array" | "flat";
  /** values() came before annotate(): one row per distinct combination of these columns, not per model row. */
  readonly grouped: boolean;
  /**
   * The fields a grouped QuerySet's rows are grouped by, where a values() after annotate() selected others
   * (`values("album").annotate({ n }).values("n")`: still one row per album); else its own plain columns.
   */
  readonly groupBy?: readonly ValueColumn[];
}

/** What a QuerySet asks for. Frozen: every QuerySet method returns a new state. */
export interface QueryState {
  readonly conditions: readonly Condition[];
  /** selectRelated paths, each a chain of forward relation hops, parents before children. */
  readonly related: readonly (readonly RelationStep[])[];
  /** prefetchRelated paths, loaded after the rows by one query each. */
  readonly prefetch: readonly string[];
  readonly ordering: readonly Ordering[];
  readonly limit: number | undefined;
  readonly offset: number | undefined;
  readonly distinct: boolean;
  /** distinct("field", ...): one row per combination of these columns (PostgreSQL only). */
  readonly distinctOn: readonly DistinctColumn[];
  /** selectForUpdate(): the rows read are locked. */
  readonly lock: RowLock | undefined;
  /** annotate(): values computed per row. */
  readonly annotations: readonly Annotation[];
  /** only()/defer(): the fields read (the primary key always among them); undefined for all. */
  readonly fields: readonly Field[] | undefined;
  /** values()/valuesList(): plain rows of these columns instead of instances. */
  readonly values: ValuesSpec | undefined;
  /** using("primary"): reads go to the primary even where replicas are configured. */
  readonly onPrimary?: true;
  /** using(database): every statement runs there, compiled for its dialect; no router is asked. */
  readonly database?: Database;
  /** The instance the rows concern (a related manager's owner): the router's hint, and its database the fallback. */
  readonly instance?: object;
  /** bounded(): the signal and time limit of every statement the QuerySet sends. */
  readonly bounds?: StatementBounds;
}

/** The key of a QuerySet's method that hands over its state, for the subqueries built from it. */
export const QUERY_STATE: unique symbol = Symbol("quarry.queryState");

export const emptyState: QueryState = Object.freeze({
  conditions: [],
  related: [],
  prefetch: [],
  ordering: [],
  limit: undefined,
  offset: undefined,
  distinct: false,
  distinctOn: [],
  lock: undefined,
  annotations: [],
  fields: undefined,
  values: undefined,
  onPrimary: undefined,
  database: undefined,
  instance: undefined,
  bounds: undefined,
});

/**
 * `state` with `patch` laid over it, written out field by field: a QuerySet derives one per call, and an
 * object literal of known shape costs a tenth of a spread of one.
 */
export function patchState(state: QueryState, patch: Partial<QueryState>): QueryState {
  return {
    conditions: patch.conditions ?? state.conditions,
    related: patch.related ?? state.related,
    prefetch: patch.prefetch ?? state.prefetch,
    ordering: patch.ordering ?? state.ordering,
    limit: "limit" in patch ? patch.limit : state.limit,
    offset: "offset" in patch ? patch.offset : state.offset,
    distinct: patch.distinct ?? state.distinct,
    distinctOn: patch.distinctOn ?? state.distinctOn,
    lock: "lock" in patch ? patch.lock : state.lock,
    annotations: patch.annotations ?? state.annotations,
    fields: "fields" in patch ? patch.fields : state.fields,
    values: "values" in patch ? patch.values : state.values,
    onPrimary: patch.onPrimary ?? state.onPrimary,
    database: patch.database ?? state.database,
    instance: patch.instance ?? state.instance,
    bounds: patch.bounds ?? state.bounds,
  };
}

/** The columns of one selectRelated model in a row: where they start, and which instance they hang from. */
export interface RelatedColumns {
  readonly steps: readonly RelationStep[];
  /** The foreign key on the parent that this row fills. */
  readonly field: Field;
  /** Index of the parent in the related list, or -1 for the queried model. */
  readonly parent: number;
  readonly offset: number;
  readonly columns: readonly SelectedColumn[];
}

/** An annotate() value in a row: its name, its position in the select list, how it decodes. */
export interface AnnotatedColumn {
  readonly name: string;
  readonly index: number;
  readonly decode: (raw: unknown) => unknown;
}

/** The decode of a column whose raw value is already its JS value: hydration leaves it as read, without a call. */
export const keepRaw = (value: unknown): unknown => value;

/**
 * A column's raw value through its decode. The commonest decoders are recognised, not called: rows are decoded
 * through one call site that sees every codec, and a call from there cost more than the decoding (1,440
 * four-column rows hydrated in 48 µs of CPU that way, 40 this way).
 */
export function decodeValue(decode: (raw: unknown) => unknown, value: unknown): unknown {
  if (decode === keepRaw) return value;
  if (decode === readNumber) return typeof value === "number" || value === null ? value : Number(value);
  return decode(value);
}

/** One column of a SELECT list and how its raw value becomes a JS value. */
export interface SelectedColumn {
  readonly field: Field;
  readonly decode: (raw: unknown) => unknown;
}

/**
 * Turns a QuerySet's state into SQL for one dialect. The base table keeps its own name as its alias (so
 * UPDATE and DELETE read the same conditions); tables reached across relations get `_j1`, `_j2`, ...
 */
/** Terms joined by one operator before they are grouped in parentheses (see #combined). */
const COMBINED_RUN = 100;

export class QueryCompiler {
  readonly #joins = new Map<string, { alias: string; clause: string; nullable: boolean }>();
  readonly base: string;
  /** Shared with subqueries, so no alias is used twice in one statement. */
  readonly #aliases: { count: number };
  /** The query this one is a subquery of (the EXISTS of a reverse-relation lookup), if any. */
  readonly outer: QueryCompiler | undefined;
  /** A query of its own (orm.Exists, orm.Subquery): F() inside it names its rows, OuterRef() the enclosing query's. */
  readonly scope: boolean;
  /**
   * Aggregates read rows of the whole statement (aggregate(), values() groups), joined in; otherwise an
   * aggregate across a relation is a subquery per row, which counts only the rows the query returns.
   */
  readonly groupsRows: boolean;
  /**
   * The relation path this subquery's rows are reached by, from the outer query (an aggregate's filter):
   * lookups along it name these rows, the others the outer query's.
   */
  readonly #relative: readonly RelationStep[] | undefined;
  /** Relations this subquery joins for its aggregate: a lookup along them names the joined row, not any related row. */
  readonly #joined: readonly RelationStep[];

  constructor(
    readonly meta: ModelMeta,
    readonly dialect: Dialect,
    options: {
      alias?: string;
      aliases?: { count: number };
      outer?: QueryCompiler;
      scope?: boolean;
      groupsRows?: boolean;
      relative?: readonly RelationStep[];
      joined?: readonly RelationStep[];
    } = {},
  ) {
    this.base = options.alias ?? dialect.quote(meta.tablename);
    this.#aliases = options.aliases ?? { count: 0 };
    this.outer = options.outer;
    this.scope = options.scope ?? false;
    this.groupsRows = options.groupsRows ?? false;
    this.#relative = options.relative;
    this.#joined = options.joined ?? [];
  }

  /** The query F() expressions refer to, wherever in it they appear: the outermost, or the subquery of an Exists. */
  get root(): QueryCompiler {
    return this.outer && !this.scope ? this.outer.root : this;
  }

  /** A subquery of this query: its own alias, and no alias used twice in the statement. */
  subquery(meta: ModelMeta, options: { scope?: boolean; relative?: readonly RelationStep[]; joined?: readonly RelationStep[] } = {}): QueryCompiler {
    return new QueryCompiler(meta, this.dialect, { alias: this.#nextAlias(), aliases: this.#aliases, outer: this, ...options });
  }

  /** This query, compiled with aggregates that read the rows of the whole statement (see groupsRows). */
  #groupingRows(): QueryCompiler {
    return new QueryCompiler(this.meta, this.dialect, { alias: this.base, aliases: this.#aliases, outer: this.outer, scope: this.scope, groupsRows: true });
  }

  #nextAlias(): string {
    return this.dialect.quote(`_j${++this.#aliases.count}`);
  }

  /** The column, qualified by its table's alias (bare where the alias is "": a CHECK constraint's). */
  column(field: Field, alias = this.base): Sql {
    return raw(alias ? `${alias}.${this.dialect.quote(field.column)}` : this.dialect.quote(field.column));
  }

  /** The alias of the table at the end of these forward relation hops, joining it (once) if needed. */
  aliasFor(steps: readonly RelationStep[]): string {
    let alias = this.base;
    let path = "";
    let nullable = false;
    for (const step of steps) {
      path = path ? `${path}__${step.name}` : step.name;
      // Past one LEFT JOIN every later table may be missing too, so the chain stays LEFT.
      nullable ||= step.nullable;
      let join = this.#joins.get(path);
      if (!join) {
        const joined = this.#nextAlias();
        const kind = nullable ? "LEFT JOIN" : "INNER JOIN";
        const clause = ` ${kind} ${this.dialect.quote(step.to.tablename)} AS ${joined} ON ${joined}.${this.dialect.quote(step.toField.column)} = ${alias}.${this.dialect.quote(step.fromField.column)}`;
        this.#joins.set(path, (join = { alias: joined, clause, nullable }));
      }
      alias = join.alias;
    }
    return alias;
  }

  get hasJoins(): boolean {
    return this.#joins.size > 0;
  }

  from(): Sql {
    const table = this.dialect.quote(this.meta.tablename);
    const base = this.base === table ? table : `${table} AS ${this.base}`;
    return raw(base + [...this.#joins.values()].map((joined) => joined.clause).join(""));
  }

/**
   * `(a OR b OR ...)`, grouped in parenthesised runs of at most COMBINED_RUN: a parser reads a flat run as a chain
   * one level deeper per term, and SQLite refuses expressions over 1,000 levels deep.
   */
  #combined(parts: Sql[], operator: string): Sql {
    while (parts.length > COMBINED_RUN) {
      const grouped: Sql[] = [];
      for (let start = 0; start < parts.length; start += COMBINED_RUN) grouped.push(sql`(${join(parts.slice(start, start + COMBINED_RUN), operator)})`);
      parts = grouped;
    }
    return sql`(${join(parts, operator)})`;
  }

  condition(condition: Condition): Sql {
    switch (condition.kind) {
      case "lookup": {
        const relative = this.#relative;
        if (!relative || condition.annotation) return this.#lookup(condition);
        if (!relative.every((step, index) => condition.steps[index] === step)) return this.outer!.condition(condition);
        return this.#lookup({ ...condition, steps: condition.steps.slice(relative.length), shapeKey: undefined });
      }
      case "expression":
        return condition.expression.toSql(this);
      case "and":
        if (condition.children.length === 0) return raw("1 = 1");
        return this.#combined(this.#together(condition.children), " AND ");
      case "or":
        if (condition.children.length === 0) return raw("1 = 0");
        return this.#combined(condition.children.map((child) => this.condition(child)), " OR ");
      case "not":
        // Not "NOT (...)": a comparison with NULL (a nullable column, a missing LEFT JOIN row) is unknown, and
        // NOT unknown drops the row; "not edited by Bob" must keep the posts with no editor, as Django does.
        return sql`(${this.condition(condition.child)}) IS NOT TRUE`;
    }
  }

  /**
   * Conditions ANDed in one filter (one lookup object, Q.and, nested ands): those across the same many-valued
   * relation are one EXISTS, so one related row meets them all — `{ tracks__genre: 1, tracks__milliseconds__gt: 300_000 }`
   * is "has a long rock track", as Django reads one filter() call. Chained filter() calls stay separate.
   */
  #together(children: readonly Condition[]): Sql[] {
    const parts: Sql[] = [];
    const shared: { steps: readonly RelationStep[]; many: number; conditions: LookupCondition[]; at: number }[] = [];
    for (const child of children.flatMap((each) => this.#conjuncts(each))) {
      const many = child.kind === "lookup" && !this.#relative && !child.annotation && !isNoneAtAll(child) ? this.#manyStep(child) : -1;
      if (child.kind !== "lookup" || many < 0) {
        parts.push(this.condition(child));
        continue;
      }
      const group = shared.find((known) => known.many === many && known.steps.every((step, index) => index > many || child.steps[index] === step));
      if (group) {
        group.conditions.push(child);
        continue;
      }
      shared.push({ steps: child.steps, many, conditions: [child], at: parts.length });
      parts.push(empty);
    }
    for (const group of shared) parts[group.at] = this.#acrossMany(group.conditions, group.many);
    return parts;
  }

  /** The index of the first many-valued hop of the lookup's path this query has not joined, or -1. */
  #manyStep(condition: LookupCondition): number {
    const joined = this.#joined;
    let along = 0;
    while (along < joined.length && condition.steps[along] === joined[along]) along++;
    return condition.steps.findIndex((step, index) => index >= along && step.many);
  }

  #lookup(condition: LookupCondition): Sql {
    const context = (column: Sql) => ({ column, field: condition.field, dialect: this.dialect, compiler: this });
    if (condition.annotation) return condition.lookup.build(context(condition.annotation.expression.toSql(this)), condition.value);
    const many = this.#manyStep(condition);
    if (many >= 0) return this.#acrossMany([condition], many);
    const { transform } = condition;
    const column = this.column(transform?.source ?? condition.field, this.aliasFor(condition.steps));
    return condition.lookup.build(context(transform ? transform.apply(this.dialect, column) : column), condition.value);
  }

  /**
   * A lookup across a reverse relation (`tracks__title`) as EXISTS over the related rows: a JOIN would
   * repeat the row once per match, and under exclude() NOT EXISTS reads as "none of them". As Django reads
   * it, `tracks__isnull: true` is "has no tracks", and `tracks__genre__isnull: true` "has none, or one without a genre".
   */
  #acrossMany(conditions: readonly LookupCondition[], many: number): Sql {
    const condition = conditions[0]!;
    const step = condition.steps[many]!;
    const outer = this.column(step.fromField, this.aliasFor(condition.steps.slice(0, many)));
    const related = (matching: readonly LookupCondition[]) => {
      const inner = this.subquery(step.to);
      const relative = matching.map((each): Condition => ({ ...each, steps: each.steps.slice(many + 1), shapeKey: undefined }));
      const where = relative.length === 0 ? empty : sql` AND ${inner.condition(relative.length === 1 ? relative[0]! : { kind: "and", children: relative })}`;
      return sql`EXISTS (SELECT 1 FROM ${inner.from()} WHERE ${inner.column(step.toField)} = ${outer}${where})`;
    };
    if (!isNoneAtAll(condition)) return related(conditions);
    const none = sql`NOT ${related([])}`;
    // A related row's own key is never null: only "none at all" is left.
    if (condition.steps.length === many + 1 && condition.field === step.to.pk) return none;
    return sql`(${none} OR ${related(conditions)})`;
  }

  /** WHERE of the conditions that do not compare a value aggregated over the query's rows (those go in HAVING). */
  where(state: QueryState): Sql {
    const condition = this.#whereCondition(state);
    return condition ? sql` WHERE ${condition}` : empty;
  }

  #whereCondition(state: QueryState): Sql | undefined {
    const conditions = this.#split(state, false);
    if (conditions.length === 0) return undefined;
    return join(conditions.map((condition) => this.condition(condition)), " AND ");
  }

  /** HAVING of the conditions on values aggregated over the query's rows: `values("genre").annotate({ n: Count("id") }).filter({ n__gte: 10 })`. */
  having(state: QueryState): Sql {
    if (state.annotations.length === 0) return empty;
    const conditions = this.#split(state, true);
    if (conditions.length === 0) return empty;
    return sql` HAVING ${join(conditions.map((condition) => this.condition(condition)), " AND ")}`;
  }

  /** Each filter() call's conditions that compare an aggregate (`grouped`), or those that do not: one filter({ n__gte, name }) is both. */
  #split(state: QueryState, grouped: boolean): Condition[] {
    if (state.annotations.length === 0) return grouped ? [] : [...state.conditions];
    const parts: Condition[] = [];
    for (const condition of state.conditions) {
      // A call's terms stay together, so that those across one many-valued relation still share their EXISTS.
      const terms = this.#conjuncts(condition).filter((term) => this.#grouped(term) === grouped);
      if (terms.length > 0) parts.push(terms.length === 1 ? terms[0]! : { kind: "and", children: terms });
    }
    return parts;
  }

  /** The terms of nested ANDs, side by side. */
  #conjuncts(condition: Condition): Condition[] {
    return condition.kind === "and" ? condition.children.flatMap((child) => this.#conjuncts(child)) : [condition];
  }

  #grouped(condition: Condition): boolean {
    switch (condition.kind) {
      case "lookup":
        return condition.annotation?.expression.groups(this) ?? false;
      case "and":
      case "or":
        return condition.children.some((child) => this.#grouped(child));
      case "not":
        return this.#grouped(condition.child);
      case "expression":
        return false;
    }
  }

  /**
   * `selected` gives the select-list position of an annotation the statement also selects: the sort key is
   * then that position, since the expression written again binds its values as new parameters, and
   * PostgreSQL takes `CASE ... $1 ...` and `CASE ... $4 ...` for different expressions (under DISTINCT).
   */
  orderBy(state: QueryState, selected?: ReadonlyMap<Annotation, number>): Sql {
    if (state.ordering.length === 0) return empty;
    const terms = state.ordering.map((term) => {
      const direction = term.descending ? " DESC" : " ASC";
      if (!term.nulls) return sql`${this.#orderingKey(term, selected)}${raw(direction)}`;
      if (this.dialect.nullsOrdering) return sql`${this.#orderingKey(term, selected)}${raw(`${direction} NULLS ${term.nulls.toUpperCase()}`)}`;
      // Nulls first or last by a sort key of its own: whether the value is null (the key, not its position, is tested).
      const key = this.#orderingKey(term);
      return sql`(${key} IS NULL)${raw(term.nulls === "last" ? " ASC" : " DESC")}, ${key}${raw(direction)}`;
    });
    return sql` ORDER BY ${join(terms)}`;
  }

  #orderingKey(term: Ordering, selected?: ReadonlyMap<Annotation, number>): Sql {
    if (term.annotation) return positionOf(term.annotation, selected) ?? term.annotation.expression.toSql(this);
    const column = this.column(term.field, this.aliasFor(term.steps));
    return term.transform ? term.transform.apply(this.dialect, column) : column;
  }

  limitOffset(state: QueryState): Sql {
    return this.dialect.limitOffset(state.limit, state.offset);
  }

  selectColumns(fields: readonly Field[], alias = this.base): { list: Sql[]; columns: SelectedColumn[] } {
    const list: Sql[] = [];
    const columns: SelectedColumn[] = [];
    for (const field of fields) {
      list.push(this.column(field, alias));
      columns.push({ field, decode: this.decoder(field) });
    }
    return { list, columns };
  }

  /** How a column of `field` reads back: keepRaw where the driver already hands over the JS value. */
  decoder(field: Field): (value: unknown) => unknown {
    const codec = this.dialect.codec(field.kind);
    if (codec === unchanged) return keepRaw;
    return codec.read?.(field) ?? ((value) => (value === null ? null : codec.decode(value, field)));
  }

  /**
   * SELECT of every column of the model, and of each selectRelated model after it, in one list:
   * rows are read by position, so no column alias can collide whatever the tables and fields are called.
   */
  select(state: QueryState): { statement: Sql; columns: SelectedColumn[]; related: RelatedColumns[]; annotations: AnnotatedColumn[] } {
    const where = this.where(state);
    const selected = this.selectColumns(state.fields ?? this.meta.columns);
    const list = [...selected.list];
    const related: RelatedColumns[] = [];
    for (const steps of state.related) {
      const step = steps[steps.length - 1]!;
      const { list: joinedList, columns } = this.selectColumns(step.to.columns, this.aliasFor(steps));
      const parent = steps.length === 1 ? -1 : related.findIndex((node) => node.steps.length === steps.length - 1 && steps.slice(0, -1).every((hop, i) => hop === node.steps[i]));
      related.push({ steps, field: step.fromField, parent, offset: list.length, columns });
      list.push(...joinedList);
    }
    // With an aggregate of the row's own columns, one row per model row: grouped by every plain column, which every database accepts.
    const groupBy = state.annotations.some((annotation) => annotation.expression.groups(this)) ? sql` GROUP BY ${join(list)}` : empty;
    const positions = new Map<Annotation, number>();
    const annotations = state.annotations.map((annotation): AnnotatedColumn => {
      list.push(annotation.expression.toSql(this));
      positions.set(annotation, list.length);
      return { name: annotation.name, index: list.length - 1, decode: (value) => annotation.expression.decode(value, this) };
    });
    const having = this.having(state);
    const order = this.orderBy(state, positions);
    const statement = sql`SELECT ${this.#distinct(state)}${join(list)} FROM ${this.from()}${where}${groupBy}${having}${order}${this.limitOffset(state)}${this.#lock(state)}`;
    return { statement, columns: selected.columns, related, annotations };
  }

  /**
   * SELECT of values()/valuesList() columns, read by position; relation paths join. `named`: each column named
   * after its position (c0, c1, ...), as derivedColumn() reads it.
   */
  values(state: QueryState, named = false): { statement: Sql; decoders: ((value: unknown) => unknown)[] } {
    const spec = state.values!;
    // values() before annotate(): the aggregates read the rows of each group, across relations too.
    if (spec.grouped && !this.groupsRows) return this.#groupingRows().values(state, named);
    const where = this.where(state);
    const list: Sql[] = [];
    const positions = new Map<Annotation, number>();
    const decoders: ((value: unknown) => unknown)[] = [];
    for (const column of spec.columns) {
      if ("annotation" in column) {
        const { expression } = column.annotation;
        list.push(expression.toSql(this));
        positions.set(column.annotation, list.length);
        decoders.push((value) => expression.decode(value, this));
        continue;
      }
      list.push(this.#valueColumn(column));
      // A foreign key reads as its key here, not as a stub: values are plain data.
      decoders.push(this.decoder(column.transform?.output ?? column.field));
    }
    let groupBy = empty;
    if (state.annotations.some((annotation) => annotation.expression.groups(this))) {
      // Grouped by the values named, and by any value computed from them (Lower("name")), which is not an aggregate;
      // a selected one by its position, for the reason orderBy() gives.
      const computed = state.annotations
        .filter((annotation) => !annotation.expression.groups(this))
        .map((annotation) => positionOf(annotation, positions) ?? annotation.expression.toSql(this));
      // Grouped by the field columns values() named before annotate(), selected or not (values("n") after it).
      const groupColumns = () => (spec.groupBy ?? spec.columns).flatMap((column) => ("field" in column ? [this.#valueColumn(column)] : []));
      const keys = spec.grouped ? [...groupColumns(), ...computed] : this.selectColumns(this.meta.columns).list;
      if (keys.length > 0) groupBy = sql` GROUP BY ${join(keys)}`;
    }
    const having = this.having(state);
    const order = this.orderBy(state, positions);
    const selected = named ? list.map((item, position) => sql`${item} AS ${raw(this.dialect.quote(`c${position}`))}`) : list;
    const statement = sql`SELECT ${this.#distinct(state)}${join(selected)} FROM ${this.from()}${where}${groupBy}${having}${order}${this.limitOffset(state)}${this.#lock(state)}`;
    return { statement, decoders };
  }

  /** A field column of values(), or the part of it a transform takes (`created__year`). */
  #valueColumn(column: Extract<ValueColumn, { field: Field }>): Sql {
    const selected = this.column(column.field, this.aliasFor(column.steps));
    return column.transform ? column.transform.apply(this.dialect, selected) : selected;
  }

  /** aggregate() of what the QuerySet computes per row or group (its annotations, its values() columns): over its rows as a derived table. */
  aggregateOver(state: QueryState, aggregates: readonly BoundAggregate[]): Sql {
    const { statement } = this.values(state, true);
    return sql`SELECT ${join(aggregates.map((aggregate) => aggregate.toSql(this)))} FROM (${statement}) AS ${raw(this.dialect.quote(DERIVED_TABLE))}`;
  }

  /**
   * One row of aggregates over the rows the state selects. A sliced, distinct or grouped state is
   * aggregated through `pk IN (subquery)`, so LIMIT counts rows before the aggregates' joins multiply them.
   */
  aggregate(state: QueryState, aggregates: readonly BoundAggregate[]): Sql {
    if (!this.groupsRows) return this.#groupingRows().aggregate(state, aggregates);
    const plain = state.limit === undefined && state.offset === undefined && !state.distinct && state.annotations.length === 0;
    if (plain) {
      const where = this.where(state);
      const list = aggregates.map((aggregate) => aggregate.toSql(this));
      return sql`SELECT ${join(list)} FROM ${this.from()}${where}`;
    }
    const inner = this.subquery(this.meta, { scope: true });
    const innerState = patchState(state, { ordering: state.ordering.filter((term) => !term.annotation) });
    const innerWhere = inner.where(innerState);
    const innerOrder = inner.orderBy(innerState);
    const having = inner.having(state);
    const groupBy = having === empty ? empty : sql` GROUP BY ${inner.column(this.meta.pk)}`;
    const select = sql`SELECT ${inner.column(this.meta.pk)} FROM ${inner.from()}${innerWhere}${groupBy}${having}${innerOrder}${inner.limitOffset(state)}`;
    const list = aggregates.map((aggregate) => aggregate.toSql(this));
    return sql`SELECT ${join(list)} FROM ${this.from()} WHERE ${this.column(this.meta.pk)} IN (${this.dialect.selfSubquery(select)})`;
  }

  count(state: QueryState): Sql {
    if (state.limit !== undefined || state.offset !== undefined || state.distinct || state.distinctOn.length > 0 || state.values?.grouped || this.having(state) !== empty) {
      const { statement } = state.values ? this.values(state) : this.select(state);
      return sql`SELECT COUNT(*) FROM (${statement}) AS ${raw(this.dialect.quote("_counted"))}`;
    }
    const where = this.where(state);
    return sql`SELECT COUNT(*) FROM ${this.from()}${where}`;
  }

  exists(state: QueryState): Sql {
    if (this.having(state) !== empty) {
      const { statement } = state.values ? this.values(patchState(state, { limit: 1 })) : this.select(patchState(state, { limit: 1 }));
      return sql`SELECT 1 FROM (${statement}) AS ${raw(this.dialect.quote("_found"))}`;
    }
    const where = this.where(state);
    return sql`SELECT 1 FROM ${this.from()}${where}${this.limitOffset(patchState(state, { limit: 1 }))}`;
  }

  /** SELECT DISTINCT, or PostgreSQL's DISTINCT ON (columns). */
  #distinct(state: QueryState): Sql {
    if (state.distinctOn.length === 0) return state.distinct ? raw("DISTINCT ") : empty;
    refuseDistinctOrdering(this.meta, state);
    return sql`DISTINCT ON (${join(state.distinctOn.map((column) => this.column(column.field, this.aliasFor(column.steps))))}) `;
  }

  /** FOR UPDATE, as the dialect writes it, naming the tables of `of`. */
  #lock(state: QueryState): Sql {
    const { lock } = state;
    if (!lock) return empty;
    const of = lock.of.map((steps) => {
      if (!this.dialect.locksOuterJoins && steps.some((step) => step.nullable)) {
        const path = steps.map((step) => step.name).join("__");
        throw new ValidationError(
          `${this.meta.name}.objects.selectForUpdate({ of: [${JSON.stringify(path)}] }): ${this.dialect.name} cannot lock the rows of ${path}, which may be missing (a nullable foreign key is a LEFT JOIN); lock "self" and the required relations`,
          this.meta.name,
          path,
        );
      }
      return this.aliasFor(steps);
    });
    const joins = [...this.#joins.values()];
    if (of.length === 0 && !this.dialect.locksOuterJoins && joins.some((joined) => joined.nullable)) {
      // Without `of`, every table read is locked; where a LEFT-joined one cannot be, the others are named.
      of.push(this.base, ...joins.filter((joined) => !joined.nullable).map((joined) => joined.alias));
    }
    return this.dialect.lockRows({ skipLocked: lock.skipLocked, noWait: lock.noWait, of });
  }

  /** WHERE for UPDATE and DELETE, which cannot join: conditions across relations go through a pk subquery. */
  #mutationWhere(state: QueryState): Sql {
    const condition = this.#mutationCondition(state);
    return condition ? sql` WHERE ${condition}` : empty;
  }

  #mutationCondition(state: QueryState): Sql | undefined {
    const condition = this.#whereCondition(state);
    const where = condition ? sql` WHERE ${condition}` : empty;
    if (this.having(state) !== empty) {
      const pk = this.column(this.meta.pk);
      const select = sql`SELECT ${pk} FROM ${this.from()}${where} GROUP BY ${pk}${this.having(state)}${this.orderBy(state)}${this.limitOffset(state)}`;
      return sql`${pk} IN (${this.dialect.selfSubquery(select)})`;
    }
    if (!this.hasJoins && state.limit === undefined && state.offset === undefined) return condition;
    const pk = this.column(this.meta.pk);
    const select = sql`SELECT ${pk} FROM ${this.from()}${where}${this.orderBy(state)}${this.limitOffset(state)}`;
    return sql`${pk} IN (${this.dialect.selfSubquery(select)})`;
  }

  update(state: QueryState, assignments: readonly (readonly [Field, Sql])[]): Sql {
    const sets = assignments.map(([field, value]) => sql`${raw(this.dialect.quote(field.column))} = ${value}`);
    return sql`UPDATE ${raw(this.base)} SET ${join(sets)}${this.#mutationWhere(state)}`;
  }

  /**
   * bulkUpdate's UPDATE: each row's new values in a derived table of rows `[key, ...values]`, joined on the key
   * (the database matches each row once, where a CASE of every key costs each row a scan of the list),
   * for the rows the QuerySet holds.
   */
  updateFromRows(state: QueryState, fields: readonly Field[], rows: readonly (readonly unknown[])[]): Sql {
    const { dialect, meta } = this;
    const source = dialect.quote("_quarry_rows");
    const keyed = [meta.pk, ...fields];
    const columns = keyed.map((field) => dialect.quote(field.column));
    const on = sql`${this.column(meta.pk)} = ${raw(`${source}.${columns[0]}`)}`;
    const sets = columns.slice(1).map((column) => [column, raw(`${source}.${column}`)] as const);
    return dialect.updateFrom(this.base, dialect.valuesTable(source, columns, keyed, rows), on, sets, this.#mutationCondition(state));
  }

  delete(state: QueryState): Sql {
    return sql`DELETE FROM ${raw(this.base)}${this.#mutationWhere(state)}`;
  }

  /** A bound parameter holding `value` as `field` stores it. */
  value(field: Field, value: unknown): Sql {
    return sql`${boundValue(this.dialect, field, value)}`;
  }
}

/** What the driver binds for `value` of `field`: the field's column value, encoded as this database stores it. */
export function boundValue(dialect: Dialect, field: Field, value: unknown): unknown {
  return encodeValue(dialect.codec(field.kind), field, value);
}

/** boundValue with the field's codec at hand: a bulk insert looks each column's up once, not once a row. */
export function encodeValue(codec: Codec, field: Field, value: unknown): unknown {
  if (value === null) return null;
  return codec.encode(field.toColumn(value), field);
}

/**
 * `relation__isnull: true` across a many-valued relation also holds for a row with no related rows at all; so does
 * `relation: null`, which Django reads as the same lookup.
 */
function isNoneAtAll(condition: LookupCondition): boolean {
  const { lookup, value } = condition;
  return (lookup.name === "isnull" && value === true) || (lookup.name === "exact" && value === null);
}

/** The derived table aggregateOver() reads. */
const DERIVED_TABLE = "_annotated";

/** Column `position` of the derived table aggregateOver() reads. */
export function derivedColumn(dialect: Dialect, position: number): Sql {
  return raw(`${dialect.quote(DERIVED_TABLE)}.${dialect.quote(`c${position}`)}`);
}

/** A path as distinct() and orderBy() name it. */
function pathName(column: DistinctColumn): string {
  return [...column.steps.map((step) => step.name), column.field.name].join("__");
}

/**
 * PostgreSQL keeps the first row of each DISTINCT ON group in the ordering, which must therefore start with the
 * DISTINCT ON columns (in any order among themselves): otherwise a ValidationError before any SQL, not its error.
 */
function refuseDistinctOrdering(meta: ModelMeta, state: QueryState): void {
  const { distinctOn, ordering } = state;
  if (ordering.length === 0) return;
  const leading = ordering.slice(0, distinctOn.length);
  const matches = (term: Ordering) => !term.annotation && !term.transform && distinctOn.some((column) => column.field === term.field && pathName(column) === pathName(term));
  if (leading.length === distinctOn.length && leading.every(matches)) return;
  const names = distinctOn.map(pathName);
  const order = ordering.map((term) => (term.annotation ? term.annotation.name : `${term.descending ? "-" : ""}${pathName(term)}`));
  throw new ValidationError(
    `${meta.name}.objects.distinct(${names.map((name) => JSON.stringify(name)).join(", ")}): the ordering must start with ${names.join(", ")} (PostgreSQL keeps each group's first row in it), but it is ${order.join(", ")}; orderBy(${[...names, ...order.filter((name) => !names.includes(name.replace(/^-/, "")))].map((name) => JSON.stringify(name)).join(", ")})`,
    meta.name,
  );
}

/** The 1-based select-list position of a selected annotation, as a GROUP BY or ORDER BY key. */
function positionOf(annotation: Annotation, selected: ReadonlyMap<Annotation, number> | undefined): Sql | undefined {
  const position = selected?.get(annotation);
  return position === undefined ? undefined : raw(String(position));
}

/** A row read in select-list order, as field values by name. */
export function decodeRow(columns: readonly SelectedColumn[], row: readonly unknown[], offset = 0): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (let index = 0; index < columns.length; index++) {
    const column = columns[index]!;
    values[column.field.name] = decodeValue(column.decode, row[offset + index]);
  }
  return values;
}
