import { NoMatch } from "../errors.js";
import { META } from "../model/instance.js";
import type { Model, ModelClass } from "../model/model.js";
import { defaultState, QuerySet, type BulkCreateOptions } from "../query/queryset.js";
import { resolveCondition } from "../query/where.js";
import { patchState, type QueryState } from "../query/compiler.js";
import type { ForeignKeyField } from "./foreign-key.js";
import { prefetchedRows } from "./prefetch.js";
import type { CreateValues } from "../model/types.js";
import type { FieldsOf } from "../query/typing.js";
import type { reverseBrand } from "../query/typing.js";
import type { StatementOptions } from "../statement-bounds.js";

/** The rows related to one owner: after prefetchRelated, all() and count() answer from what it loaded. */
export abstract class OwnedRows<T extends object> extends QuerySet<T> {
  declare readonly [reverseBrand]?: T;

  constructor(
    model: ModelClass,
    readonly owner: Model,
    readonly relatedName: string,
  ) {
    super(model);
  }

  override async all(options?: StatementOptions): Promise<T[]> {
    const cached = prefetchedRows(this.owner, this.relatedName);
    if (cached) return cached.slice() as T[];
    lazyReverse(this.owner, this.relatedName);
    return super.all(options);
  }

  override async count(options?: StatementOptions): Promise<number> {
    const cached = prefetchedRows(this.owner, this.relatedName);
    if (cached) return cached.length;
    lazyReverse(this.owner, this.relatedName);
    return super.count(options);
  }
}

/**
 * `album.tracks`: the rows of the source model whose foreign key points at `owner`. A QuerySet like any
 * other, plus create() that fills the key in; after prefetchRelated it answers all() from memory.
 */
export class RelatedManager<T extends object = Model> extends OwnedRows<T> {
  #state: QueryState | undefined;

  constructor(
    source: ModelClass,
    readonly field: ForeignKeyField,
    owner: Model,
    relatedName: string,
  ) {
    super(source, owner, relatedName);
  }

  // Worked out when first asked: after prefetchRelated, all() and count() answer without it.
  protected override get state(): QueryState {
    const meta = this.model[META];
    // The owner is the router's hint, and its database where the router has no opinion.
    return (this.#state ??= patchState(defaultState(meta), { conditions: [resolveCondition(meta, { [this.field.name]: this.owner })], instance: this.owner }));
  }

  override create(values: Record<string, unknown> = {}, options?: StatementOptions): Promise<T> {
    return super.create({ ...values, [this.field.name]: this.owner } as CreateValues<FieldsOf<T>>, options);
  }

  /** Creates these rows with their foreign key set to the owner, as create() does one. */
  override bulkCreate(rows: readonly Record<string, unknown>[], options?: BulkCreateOptions<T> & StatementOptions): Promise<T[]> {
    // What is no object of values stays as it is, for bulkCreate() to refuse by its position.
    const owned = Array.isArray(rows) ? rows.map((row: unknown) => (isPlainObject(row) ? { ...row, [this.field.name]: this.owner } : row)) : rows;
    return super.bulkCreate(owned as readonly CreateValues<FieldsOf<T>>[], options);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** `profile.person` for a OneToOne: awaiting it gives the one related row, or NoMatch. */
export class RelatedOne<T extends object = Model> implements PromiseLike<T> {
  declare readonly [reverseBrand]?: T;
  constructor(
    private readonly source: ModelClass,
    private readonly field: ForeignKeyField,
    private readonly owner: Model,
    private readonly relatedName: string,
  ) {}

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const cached = prefetchedRows(this.owner, this.relatedName);
    if (!cached) lazyReverse(this.owner, this.relatedName);
    const lookup = { [this.field.name]: this.owner };
    const found = cached
      ? cached.length > 0
        ? Promise.resolve(cached[0] as T)
        : Promise.reject(new NoMatch(`No ${this.source[META].name} has ${this.field.name}=${String(this.owner)}`))
      : (new QuerySet(this.source, patchState(defaultState(this.source[META]), { instance: this.owner })).filter(lookup).get() as Promise<T>); // reported as a reverse load, not as a get()
    return found.then(onFulfilled, onRejected);
  }
}

/** Tells the N+1 detector that `owner.<relatedName>` is about to be queried for this one owner. */
function lazyReverse(owner: Model, relatedName: string): void {
  const meta = (owner.constructor as ModelClass)[META];
  const detector = meta.database.nPlusOne;
  if (detector.active) detector.lazyLoad("reverse", meta.name, relatedName, `${meta.name}.objects.prefetchRelated("${relatedName}")`, { owner });
}
