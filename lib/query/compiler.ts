import sql, { empty, join, raw, type Sql } from "sql-template-tag";
import { readNumber, unchanged, type Codec, type Dialect } from "../dialects/dialect.js";
import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { BoundAggregate } from "./aggregates.js";
import type { RelationStep } from "./paths.js";
import type { Condition } from "./where.js";

export interface Ordering {
  readonly steps: readonly RelationStep[];
  readonly field: Field;
  readonly descending: boolean;
  /** Set when ordering by an annotate() name: the aggregate is the sort key (`field` is then unused). */
  readonly annotation?: Annotation;
}

/** An aggregate that annotate() adds to each row, under its name. */
export interface Annotation {
  readonly name: string;
  readonly aggregate: BoundAggregate;
}

/** One column of values()/valuesList(): a field (across forward or reverse relations), or an annotation. */
export type ValueColumn =
  | { readonly name: string; readonly steps: readonly RelationStep[]; readonly field: Field }
  | { readonly name: string; readonly annotation: Annotation };

/** What values()/valuesList() return instead of instances. */
export interface ValuesSpec {
  readonly columns: readonly ValueColumn[];
  readonly shape: "object" | "array" | "flat";
  /** values() came before annotate(): one row per distinct combination of these columns, not per model row. */
  readonly grouped: boolean;
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
  /** annotate(): aggregates computed per row, with GROUP BY. */
  readonly annotations: readonly Annotation[];
  /** only()/defer(): the fields read (the primary key always among them); undefined for all. */
  readonly fields: readonly Field[] | undefined;
  /** values()/valuesList(): plain rows of these columns instead of instances. */
  readonly values: ValuesSpec | undefined;
  /** using("primary"): reads go to the primary even where replicas are configured. */
  readonly onPrimary?: true;
}

export const emptyState: QueryState = Object.freeze({
  conditions: [],
  related: [],
  prefetch: [],
  ordering: [],
  limit: undefined,
  offset: undefined,
  distinct: false,
  annotations: [],
  fields: undefined,
  values: undefined,
  onPrimary: undefined,
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
    annotations: patch.annotations ?? state.annotations,
    fields: "fields" in patch ? patch.fields : state.fields,
    values: "values" in patch ? patch.values : state.values,
    onPrimary: patch.onPrimary ?? state.onPrimary,
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

  constructor(
    readonly meta: ModelMeta,
    readonly dialect: Dialect,
    options: { alias?: string; aliases?: { count: number }; outer?: QueryCompiler } = {},
  ) {
    this.base = options.alias ?? dialect.quote(meta.tablename);
    this.#aliases = options.aliases ?? { count: 0 };
    this.outer = options.outer;
  }

  /** The outermost query: what F() expressions refer to, wherever in the statement they appear. */
  get root(): QueryCompiler {
    return this.outer ? this.outer.root : this;
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
        const many = condition.steps.findIndex((step) => step.many);
        if (many >= 0) return this.#exists(condition, many);
        const column = this.column(condition.field, this.aliasFor(condition.steps));
        return condition.lookup.build({ column, field: condition.field, dialect: this.dialect, compiler: this }, condition.value);
      }
      case "and":
      case "or":
        if (condition.children.length === 0) return raw(condition.kind === "and" ? "1 = 1" : "1 = 0");
        return this.#combined(condition.children.map((child) => this.condition(child)), condition.kind === "and" ? " AND " : " OR ");
      case "not":
        // Not "NOT (...)": a comparison with NULL (a nullable column, a missing LEFT JOIN row) is unknown, and
        // NOT unknown drops the row; "not edited by Bob" must keep the posts with no editor, as Django does.
        return sql`(${this.condition(condition.child)}) IS NOT TRUE`;
    }
  }

  /**
   * A lookup across a reverse relation (`tracks__title`) as EXISTS over the related rows: a JOIN would
   * repeat the row once per match, and under exclude() NOT EXISTS reads as "none of them".
   */
  #exists(condition: Extract<Condition, { kind: "lookup" }>, many: number): Sql {
    const step = condition.steps[many]!;
    const outer = this.column(step.fromField, this.aliasFor(condition.steps.slice(0, many)));
    const inner = new QueryCompiler(step.to, this.dialect, { alias: this.#nextAlias(), aliases: this.#aliases, outer: this });
    const where = inner.condition({ ...condition, steps: condition.steps.slice(many + 1), shapeKey: undefined });
    const link = inner.column(step.toField);
    return sql`EXISTS (SELECT 1 FROM ${inner.from()} WHERE ${link} = ${outer} AND ${where})`;
  }

  where(state: QueryState): Sql {
    if (state.conditions.length === 0) return empty;
    return sql` WHERE ${join(state.conditions.map((condition) => this.condition(condition)), " AND ")}`;
  }

  orderBy(state: QueryState): Sql {
    if (state.ordering.length === 0) return empty;
    const terms = state.ordering.map(
      (term) =>
        sql`${term.annotation ? term.annotation.aggregate.toSql(this) : this.column(term.field, this.aliasFor(term.steps))}${raw(term.descending ? " DESC" : " ASC")}`,
    );
    return sql` ORDER BY ${join(terms)}`;
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
    const order = this.orderBy(state);
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
    // With annotations, one row per model row: grouped by every plain column, which every database accepts.
    const groupBy = state.annotations.length > 0 ? sql` GROUP BY ${join(list)}` : empty;
    const annotations = state.annotations.map((annotation): AnnotatedColumn => {
      list.push(annotation.aggregate.toSql(this));
      return { name: annotation.name, index: list.length - 1, decode: (value) => annotation.aggregate.decode(value, this) };
    });
    const distinct = state.distinct ? raw("DISTINCT ") : empty;
    const statement = sql`SELECT ${distinct}${join(list)} FROM ${this.from()}${where}${groupBy}${order}${this.limitOffset(state)}`;
    return { statement, columns: selected.columns, related, annotations };
  }

  /** SELECT of values()/valuesList() columns, read by position; relation paths join. */
  values(state: QueryState): { statement: Sql; decoders: ((value: unknown) => unknown)[] } {
    const spec = state.values!;
    const where = this.where(state);
    const order = this.orderBy(state);
    const list: Sql[] = [];
    const plain: Sql[] = [];
    const decoders: ((value: unknown) => unknown)[] = [];
    for (const column of spec.columns) {
      if ("annotation" in column) {
        const { aggregate } = column.annotation;
        list.push(aggregate.toSql(this));
        decoders.push((value) => aggregate.decode(value, this));
        continue;
      }
      const selected = this.column(column.field, this.aliasFor(column.steps));
      list.push(selected);
      plain.push(selected);
      // A foreign key reads as its key here, not as a stub: values are plain data.
      decoders.push(this.decoder(column.field));
    }
    let groupBy = empty;
    if (state.annotations.length > 0) {
      const keys = spec.grouped ? plain : this.selectColumns(this.meta.columns).list;
      if (keys.length > 0) groupBy = sql` GROUP BY ${join(keys)}`;
    }
    const distinct = state.distinct ? raw("DISTINCT ") : empty;
    const statement = sql`SELECT ${distinct}${join(list)} FROM ${this.from()}${where}${groupBy}${order}${this.limitOffset(state)}`;
    return { statement, decoders };
  }

  /**
   * One row of aggregates over the rows the state selects. A sliced, distinct or grouped state is
   * aggregated through `pk IN (subquery)`, so LIMIT counts rows before the aggregates' joins multiply them.
   */
  aggregate(state: QueryState, aggregates: readonly BoundAggregate[]): Sql {
    const plain = state.limit === undefined && state.offset === undefined && !state.distinct && state.annotations.length === 0;
    if (plain) {
      const where = this.where(state);
      const list = aggregates.map((aggregate) => aggregate.toSql(this));
      return sql`SELECT ${join(list)} FROM ${this.from()}${where}`;
    }
    const inner = new QueryCompiler(this.meta, this.dialect, { alias: this.#nextAlias(), aliases: this.#aliases });
    const innerState = patchState(state, { ordering: state.ordering.filter((term) => !term.annotation) });
    const innerWhere = inner.where(innerState);
    const innerOrder = inner.orderBy(innerState);
    const select = sql`SELECT ${inner.column(this.meta.pk)} FROM ${inner.from()}${innerWhere}${innerOrder}${inner.limitOffset(state)}`;
    const list = aggregates.map((aggregate) => aggregate.toSql(this));
    return sql`SELECT ${join(list)} FROM ${this.from()} WHERE ${this.column(this.meta.pk)} IN (${this.dialect.selfSubquery(select)})`;
  }

  count(state: QueryState): Sql {
    if (state.limit !== undefined || state.offset !== undefined || state.distinct || state.values?.grouped) {
      const { statement } = state.values ? this.values(state) : this.select(state);
      return sql`SELECT COUNT(*) FROM (${statement}) AS ${raw(this.dialect.quote("_counted"))}`;
    }
    const where = this.where(state);
    return sql`SELECT COUNT(*) FROM ${this.from()}${where}`;
  }

  exists(state: QueryState): Sql {
    const where = this.where(state);
    return sql`SELECT 1 FROM ${this.from()}${where}${this.limitOffset(patchState(state, { limit: 1 }))}`;
  }

  /** WHERE for UPDATE and DELETE, which cannot join: conditions across relations go through a pk subquery. */
  #mutationWhere(state: QueryState): Sql {
    const where = this.where(state);
    if (!this.hasJoins && state.limit === undefined && state.offset === undefined) return where;
    const pk = this.column(this.meta.pk);
    const select = sql`SELECT ${pk} FROM ${this.from()}${where}${this.orderBy(state)}${this.limitOffset(state)}`;
    return sql` WHERE ${pk} IN (${this.dialect.selfSubquery(select)})`;
  }

  update(state: QueryState, assignments: readonly (readonly [Field, Sql])[]): Sql {
    const sets = assignments.map(([field, value]) => sql`${raw(this.dialect.quote(field.column))} = ${value}`);
    return sql`UPDATE ${raw(this.base)} SET ${join(sets)}${this.#mutationWhere(state)}`;
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

/** A row read in select-list order, as field values by name. */
export function decodeRow(columns: readonly SelectedColumn[], row: readonly unknown[], offset = 0): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (let index = 0; index < columns.length; index++) {
    const column = columns[index]!;
    values[column.field.name] = decodeValue(column.decode, row[offset + index]);
  }
  return values;
}
