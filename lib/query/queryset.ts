import { MultipleMatches, NoMatch, UnknownFieldError, ValidationError } from "../errors.js";
import { FROM_DATABASE, META, type RowSource } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import { markSaved, ownValues, unwrap, type Model, type ModelClass } from "../model/model.js";
import { checkPrefetchPath, prefetch, prefetchTree } from "../relations/prefetch.js";
import { validateValues } from "../model/validation.js";
import {
  QueryCompiler,
  decodeRow,
  emptyState,
  type Ordering,
  type QueryState,
  type RelatedColumns,
  type SelectedColumn,
} from "./compiler.js";
import { isExpression, type Expression } from "./lookups.js";
import { resolvePath, type RelationStep } from "./paths.js";
import { hasBigIntegers, insertRows, withModel } from "./persist.js";
import { Q, resolveCondition, type LookupObject } from "./where.js";

export type Filter = LookupObject | Q;

/**
 * An immutable query over one model. Every method that narrows it returns a new QuerySet; nothing
 * is sent until it is awaited, iterated, or asked for a result (`all`, `get`, `count`, ...).
 */
export class QuerySet<T extends object = Model> implements PromiseLike<T[]>, AsyncIterable<T> {
  constructor(
    readonly model: ModelClass,
    protected readonly state: QueryState = emptyState,
  ) {}

  protected get meta(): ModelMeta {
    return this.model[META];
  }

  protected derive(patch: Partial<QueryState>): QuerySet<T> {
    return new QuerySet<T>(this.model, Object.freeze({ ...this.state, ...patch }));
  }

  filter(...conditions: Filter[]): QuerySet<T> {
    const resolved = conditions.map((condition) => resolveCondition(this.meta, condition));
    return this.derive({ conditions: [...this.state.conditions, ...resolved] });
  }

  exclude(...conditions: Filter[]): QuerySet<T> {
    if (conditions.length === 0) return this;
    const resolved = conditions.map((condition) => resolveCondition(this.meta, condition));
    const child = resolved.length === 1 ? resolved[0]! : { kind: "and" as const, children: resolved };
    return this.derive({ conditions: [...this.state.conditions, { kind: "not", child }] });
  }

  /** Field names, `-name` for descending, relation paths such as `album__name`. Replaces earlier ordering. */
  orderBy(...names: string[]): QuerySet<T> {
    const ordering = names.map((name): Ordering => {
      if (typeof name !== "string" || name === "" || name === "-") throw this.meta.unknown(String(name), "field to order by");
      const descending = name.startsWith("-");
      const key = descending ? name.slice(1) : name;
      const { steps, field, rest } = resolvePath(this.meta, key.split("__"), key);
      if (rest.length > 0) throw field.owner === this.meta ? this.meta.unknown(key, "field to order by") : this.meta.unknown(rest.join("__"), "field to order by", key);
      return { steps, field, descending };
    });
    return this.derive({ ordering });
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
    return this.derive({ related });
  }

  /** Loads these relations (forward or reverse, nested with `__`) for all rows at once: one query per relation. */
  prefetchRelated(...paths: string[]): QuerySet<T> {
    for (const path of paths) checkPrefetchPath(this.meta, String(path));
    return this.derive({ prefetch: [...new Set([...this.state.prefetch, ...paths])] });
  }

  distinct(): QuerySet<T> {
    return this.derive({ distinct: true });
  }

  #count(method: string, count: number): number {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new ValidationError(`${this.meta.name}.objects.${method}() needs a whole number >= 0, got ${String(count)}`, this.meta.name);
    }
    return count;
  }

  #compiler(): QueryCompiler {
    return new QueryCompiler(this.meta, this.meta.database.dialect);
  }

  async all(): Promise<T[]> {
    const { statement, columns, related } = this.#compiler().select(this.state);
    const result = await this.meta.database.run(statement, { arrayRows: true, exactIntegers: this.#exactIntegers() });
    const rows = result.rows.map((row) => hydrate(this.model, columns, related, row as unknown[]) as T);
    if (this.state.prefetch.length > 0) await prefetch(this.meta, rows, prefetchTree(this.state.prefetch));
    return rows;
  }

  #exactIntegers(): boolean {
    return hasBigIntegers(this.meta) || this.state.related.some((steps) => hasBigIntegers(steps[steps.length - 1]!.to));
  }

  /** The one row matching; NoMatch if none, MultipleMatches if more. */
  async get(...conditions: Filter[]): Promise<T> {
    const rows = await this.filter(...conditions).limit(2).all();
    if (rows.length === 0) throw new NoMatch(`${this.meta.name} matching ${describeFilters(conditions)} does not exist`);
    if (rows.length > 1) throw new MultipleMatches(`More than one ${this.meta.name} matches ${describeFilters(conditions)}`);
    return rows[0]!;
  }

  /** The first row (by primary key unless ordered), or null. */
  async first(): Promise<T | null> {
    const ordered = this.state.ordering.length > 0 ? this : this.orderBy(this.meta.pk.name);
    const [row] = await ordered.limit(1).all();
    return row ?? null;
  }

  /** The last row (by primary key unless ordered), or null. */
  async last(): Promise<T | null> {
    const ordering = this.state.ordering.length > 0 ? this.state.ordering : [{ steps: [], field: this.meta.pk, descending: false }];
    const reversed = ordering.map((term) => ({ ...term, descending: !term.descending }));
    const [row] = await this.derive({ ordering: reversed }).limit(1).all();
    return row ?? null;
  }

  async count(): Promise<number> {
    const result = await this.meta.database.run(this.#compiler().count(this.state), { arrayRows: true });
    return Number((result.rows[0] as unknown[])[0]);
  }

  async exists(): Promise<boolean> {
    const result = await this.meta.database.run(this.#compiler().exists(this.state), { arrayRows: true });
    return result.rows.length > 0;
  }

  /** Sets fields on every matching row in one UPDATE; returns how many rows matched. */
  async update(values: Record<string, unknown>): Promise<number> {
    const meta = this.meta;
    const expressions = Object.entries(values).filter(([, value]) => isExpression(value));
    const plain = Object.fromEntries(Object.entries(values).filter(([, value]) => !isExpression(value)));
    const checked = validateValues(meta, plain, { partial: true });
    for (const field of meta.fields) {
      if ((field.options as { autoNow?: boolean }).autoNow && !(field.name in values)) checked[field.name] = new Date();
    }
    const compiler = this.#compiler();
    const assignments = [
      ...Object.entries(checked).map(([name, value]) => [meta.field(name), compiler.value(meta.field(name), value)] as const),
      ...expressions.map(([name, value]) => [meta.field(name), (value as Expression).toSql(compiler)] as const),
    ];
    if (assignments.length === 0) return this.count();
    const result = await withModel(meta, meta.database.run(compiler.update(this.state, assignments)));
    return result.rowsAffected;
  }

  /** Deletes every matching row; returns how many. */
  async delete(): Promise<number> {
    const result = await withModel(this.meta, this.meta.database.run(this.#compiler().delete(this.state)));
    return result.rowsAffected;
  }

  async create(values: Record<string, unknown> = {}): Promise<T> {
    const instance = new this.model(values as never) as unknown as Model;
    await instance.save();
    return instance as unknown as T;
  }

  /** Inserts many rows with as few statements as the database allows, all or none; returns the saved instances. */
  async bulkCreate(rows: readonly Record<string, unknown>[]): Promise<T[]> {
    if (!Array.isArray(rows)) throw new ValidationError(`${this.meta.name}.objects.bulkCreate() needs an array of objects`, this.meta.name);
    const instances = rows.map((row) => new this.model(row as never) as unknown as Model);
    const values = instances.map((instance) => validateValues(this.meta, ownValues(instance), { partial: false, applyDefaults: true }));
    const keys = await insertRows(this.meta, values);
    instances.forEach((instance, index) => markSaved(instance, keys[index]));
    return instances as unknown as T[];
  }

  /** The row matching `lookup`, or a new one made of its plain field values and `defaults`; `[instance, created]`. */
  async getOrCreate(lookup: LookupObject, defaults: Record<string, unknown> = {}): Promise<[T, boolean]> {
    const existing = await this.#find(lookup);
    if (existing) return [existing, false];
    try {
      return [await this.create({ ...plainValues(this.meta, lookup), ...defaults }), true];
    } catch (error) {
      // Another caller may have created it between our read and our write: theirs wins.
      const raced = await this.#find(lookup);
      if (raced) return [raced, false];
      throw error;
    }
  }

  /** Updates the row matching `lookup` with `defaults`, or creates it; `[instance, created]`. */
  async updateOrCreate(lookup: LookupObject, defaults: Record<string, unknown> = {}): Promise<[T, boolean]> {
    return this.meta.database.transaction(async () => {
      const [instance, created] = await this.getOrCreate(lookup, defaults);
      if (!created && Object.keys(defaults).length > 0) await (instance as unknown as Model).update(defaults);
      return [instance, created];
    });
  }

  async #find(lookup: LookupObject): Promise<T | undefined> {
    try {
      return await this.get(lookup);
    } catch (error) {
      if (error instanceof NoMatch) return undefined;
      throw error;
    }
  }

  /** Rows where any String or Text field contains `term`, ignoring case. */
  search(term: string): QuerySet<T> {
    const fields = this.meta.fields.filter((field) => field.kind === "string" || field.kind === "text");
    if (term === "" || fields.length === 0) return this;
    return this.filter(Q.or(...fields.map((field) => ({ [`${field.name}__icontains`]: term }))));
  }

  /** A Map from primary key to instance for these keys (missing keys are absent). */
  async inBulk(keys: readonly unknown[]): Promise<Map<unknown, T>> {
    const rows = keys.length === 0 ? [] : await this.filter({ pk__in: keys }).all();
    return new Map(rows.map((row) => [(row as unknown as Model).pk, row]));
  }

  /** Rows one at a time from a cursor (PostgreSQL), a streaming read (MySQL) or a statement iterator (SQLite). */
  async *iterate(options: { batchSize?: number } = {}): AsyncGenerator<T, void, undefined> {
    const batchSize = options.batchSize ?? 500;
    const { statement, columns, related } = this.#compiler().select(this.state);
    for await (const row of this.meta.database.stream(statement, batchSize, { arrayRows: true, exactIntegers: this.#exactIntegers() })) {
      yield hydrate(this.model, columns, related, row as unknown[]) as T;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.iterate();
  }

  then<R1 = T[], R2 = never>(
    onFulfilled?: ((rows: T[]) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.all().then(onFulfilled, onRejected);
  }
}

function sameSteps(a: readonly RelationStep[], b: readonly RelationStep[]): boolean {
  return a.length === b.length && a.every((step, index) => step === b[index]);
}

type Hydrating = new (values: Record<string, unknown>, source: RowSource) => object;

/** One row into an instance, and each selectRelated slice of it into the instance its parent points at. */
function hydrate(model: ModelClass, columns: readonly SelectedColumn[], related: readonly RelatedColumns[], row: readonly unknown[]): object {
  const instance = new (model as unknown as Hydrating)(decodeRow(columns, row), FROM_DATABASE);
  if (related.length === 0) return instance;
  const built: (object | null)[] = [];
  for (const node of related) {
    const parent = node.parent === -1 ? instance : built[node.parent];
    const pkIndex = node.columns.findIndex((column) => column.field.primaryKey);
    if (!parent || row[node.offset + pkIndex] === null) {
      built.push(null);
      continue;
    }
    const target = node.steps[node.steps.length - 1]!.to;
    const child = new (target.model as unknown as Hydrating)(decodeRow(node.columns, row, node.offset), FROM_DATABASE);
    unwrap(parent)[node.field.name] = child;
    built.push(child);
  }
  return instance;
}

/** `Model.objects`: the QuerySet of every row, where queries start. */
export class Manager<T extends object = Model> extends QuerySet<T> {}

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
