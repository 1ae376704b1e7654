import { ValidationError } from "../errors.js";
import { ownState, STATE } from "../model/instance.js";
import type { Model, ModelClass } from "../model/model.js";
import { patchState, type QueryState } from "../query/compiler.js";
import { META } from "../model/instance.js";
import type { RelationStep } from "../query/paths.js";
import type { ModelMeta } from "../model/meta.js";
import { defaultState, QuerySet, type BulkCreateOptions } from "../query/queryset.js";
import type { FieldsOf } from "../query/typing.js";
import { findLookup } from "../query/lookups.js";
import type { CreateValues } from "../model/types.js";
import { insertLinks, linkRows } from "./links.js";
import type { ManyToManyLink } from "./many-to-many.js";
import { Q, type LookupObject } from "../query/where.js";
import type { ForeignKeyField } from "./foreign-key.js";
import { OwnedRows } from "./related-manager.js";
import { withStatementOptions, type StatementOptions } from "../statement-bounds.js";
import { checkRelation, place } from "../model/placement.js";
import { unknownKeys } from "../model/options.js";
import type { Database } from "../database.js";

/** Keys per `IN (...)` list of remove(): far below every database's limit on bound parameters. */
const KEYS_PER_STATEMENT = 5000;

/** What add(), set() and create() write into the join table's other columns (a through model's own fields), and their statements' bounds. */
export interface ThroughOptions extends StatementOptions {
  throughDefaults?: Record<string, unknown>;
}

/** An instance of the related model or its primary key. */
type Item<T> = T | (T extends { pk: infer K } ? Exclude<K, null | undefined> : never);

/**
 * `article.tags` (and `tag.articles`): the related rows linked to `owner` through the join table. A QuerySet like
 * any other (filter, count, values, iteration), plus add(), remove(), set(), clear() and create(), which write
 * the join table only; after prefetchRelated it answers all() and count() from memory until one of them runs.
 */
export class ManyRelatedManager<T extends object = Model> extends OwnedRows<T> {
  #state: QueryState | undefined;

  constructor(
    target: ModelClass,
    owner: Model,
    /** The relation as seen from the owner's model; its hops cross the join table. */
    readonly relation: RelationStep,
    /** The relation seen from the related model: the rows are those whose links lead to the owner. */
    readonly mirror: RelationStep,
    /**
     * How the join table holds pairs: once each (a unique constraint), so the database can skip those already linked;
     * both ways (symmetrical), so each write goes both ways too.
     */
    readonly link: Pick<ManyToManyLink, "uniquePair" | "symmetrical">,
  ) {
    super(target, owner, relation.name);
  }

  // EXISTS over the join table, not a JOIN: a row linked twice (a through model may allow it) is still one row.
  protected override get state(): QueryState {
    const [toLinks, toOwner] = this.mirror.hops!;
    // An unsaved owner has no links to read: refused before any SQL, as Django refuses it.
    const condition = { kind: "lookup" as const, steps: [toLinks], field: toOwner.fromField, lookup: findLookup("exact")!, value: this.#ownerKey() };
    return (this.#state ??= patchState(defaultState(this.model[META]), { conditions: [condition], instance: this.owner }));
  }

  /** The join table's key to the owner, and its key to the related rows. */
  get #keys(): { near: ForeignKeyField; far: ForeignKeyField } {
    const [toLinks, toRows] = this.relation.hops!;
    return { near: toLinks.toField as ForeignKeyField, far: toRows.fromField as ForeignKeyField };
  }

  /**
   * Links these rows (instances or keys) to the owner in one INSERT per few thousand pairs; a pair already linked is
   * left as it is. With `{ throughDefaults }` last, the through model's other fields get those values; with
   * `{ signal, timeoutMs }`, its statements are bounded.
   */
  add(...items: Item<T>[]): Promise<void>;
  add(...items: [...Item<T>[], ThroughOptions]): Promise<void>;
  async add(...args: unknown[]): Promise<void> {
    const { items, options } = splitOptions(args, this.#where("add"), ["throughDefaults", "signal", "timeoutMs"]);
    const keys = this.#targetKeys(items, "add");
    await withStatementOptions(options, () => this.#add(keys, options));
  }

  /** The join table's model, and the database the owner's links are on (where the owner is, unless a router says). */
  #through(): { through: ModelMeta; database: Database } {
    const through = this.relation.hops![0].to;
    return { through, database: place(through, true, undefined, this.owner) };
  }

  async #add(keys: readonly unknown[], options: ThroughOptions): Promise<void> {
    const ownerKey = this.#ownerKey("add");
    this.#forget();
    if (keys.length === 0) return;
    const { near, far } = this.#keys;
    const { through, database } = this.#through();
    const rows = linkRows(through, near, far, ownerKey, keys, options.throughDefaults);
    // Both ways: (owner, key) and (key, owner); a row linked to itself is one pair.
    const mirrored = this.link.symmetrical ? keys.filter((key) => String(key) !== String(ownerKey)) : [];
    if (mirrored.length > 0) rows.push(...linkRows(through, far, near, ownerKey, mirrored));
    if (this.link.uniquePair) return insertLinks(through, database, rows);
    // A through model without a unique pair: the pairs already linked are read first, in the same transaction.
    await database.transaction(async () => {
      const linked = new Set<string>();
      for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
        const chunk = keys.slice(start, start + KEYS_PER_STATEMENT);
        const found = (await this.#links(database).filter({ [near.name]: ownerKey, [`${far.name}__in`]: chunk } as never).valuesList(far.name, { flat: true })) as unknown[];
        for (const key of found) linked.add(String(key));
      }
      await insertLinks(through, database, rows.filter((row) => !linked.has(String(row[far.slot]))));
    });
  }

  /** Unlinks these rows (instances or keys) from the owner; the rows themselves stay. `{ signal, timeoutMs }` last bounds its statements. */
  remove(...items: Item<T>[]): Promise<void>;
  remove(...items: [...Item<T>[], StatementOptions]): Promise<void>;
  async remove(...args: unknown[]): Promise<void> {
    const { items, options } = splitOptions(args, this.#where("remove"), ["signal", "timeoutMs"]);
    const keys = this.#targetKeys(items, "remove");
    await withStatementOptions(options, () => this.#remove(keys));
  }

  async #remove(keys: readonly unknown[]): Promise<void> {
    const ownerKey = this.#ownerKey("remove");
    this.#forget();
    const { database } = this.#through();
    const links = this.#links(database);
    const removeAll = async () => {
      for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
        await links.filter(this.#linksOf(ownerKey, keys.slice(start, start + KEYS_PER_STATEMENT)) as never).delete();
      }
    };
    // Several statements, all or none.
    await (keys.length > KEYS_PER_STATEMENT ? database.transaction(removeAll) : removeAll());
  }

  /** Makes the owner's links exactly these rows: in one transaction, only the links that differ are deleted and inserted. */
  async set(items: readonly Item<T>[], options: ThroughOptions = {}): Promise<void> {
    if (!Array.isArray(items)) throw this.#invalid("set", "takes an array of rows or keys");
    const keys = this.#targetKeys(items, "set");
    const ownerKey = this.#ownerKey("set");
    const { near, far } = this.#keys;
    const { database } = this.#through();
    const replace = () => database.transaction(async () => {
      const linked = (await this.#links(database).filter({ [near.name]: ownerKey } as never).valuesList(far.name, { flat: true })) as unknown[];
      const wanted = new Set(keys.map(String));
      const present = new Set(linked.map(String));
      const removed = linked.filter((key) => !wanted.has(String(key)));
      if (removed.length > 0) await this.#remove(removed);
      await this.#add(
        keys.filter((key) => !present.has(String(key))),
        options,
      );
    });
    await withStatementOptions(options, replace);
  }

  /** Unlinks every row from the owner. */
  async clear(options?: StatementOptions): Promise<void> {
    const ownerKey = this.#ownerKey("clear");
    this.#forget();
    await this.#links(this.#through().database).filter(this.#linksOf(ownerKey) as never).delete(options);
  }

  /** Creates a related row and links it to the owner, in one transaction. */
  override create(values: CreateValues<FieldsOf<T>>, options: ThroughOptions = {}): Promise<T> {
    this.#ownerKey("create");
    const createLinked = () =>
      this.#through().database.transaction(async () => {
        const row = await super.create(values);
        await this.#add([(row as Model).pk], options);
        return row;
      });
    return withStatementOptions(options, createLinked);
  }

  /** Creates these related rows and links them to the owner, in one transaction. */
  override async bulkCreate(rows: readonly CreateValues<FieldsOf<T>>[], options: BulkCreateOptions<T> & ThroughOptions = {}): Promise<T[]> {
    this.#ownerKey("bulkCreate");
    if (options.onConflict !== undefined) {
      // A row that clashed is not read back (see bulkCreate), so it could not be linked.
      throw this.#invalid("bulkCreate", "takes no onConflict: the rows that clash are not read back, so they could not be linked; link existing rows with add()");
    }
    const createLinked = () =>
      this.#through().database.transaction(async () => {
        const created = await super.bulkCreate(rows);
        await this.#add(created.map((row) => (row as Model).pk), options);
        return created;
      });
    return withStatementOptions(options, createLinked);
  }

  /** The join rows that link the owner (to `keys` alone, when given): both ways on a symmetrical relation. */
  #linksOf(ownerKey: unknown, keys?: readonly unknown[]): LookupObject | Q {
    const { near, far } = this.#keys;
    const way = (from: ForeignKeyField, to: ForeignKeyField): LookupObject => (keys ? { [from.name]: ownerKey, [`${to.name}__in`]: keys } : { [from.name]: ownerKey });
    return this.link.symmetrical ? Q.or(way(near, far), way(far, near)) : way(near, far);
  }

  #links(database: Database): QuerySet<object> {
    return this.relation.hops![0].to.model.objects.using(database);
  }

  /** Writes make what prefetchRelated loaded for the owner stale: the next read asks the database. */
  #forget(): void {
    if (this.owner[STATE].prefetched?.has(this.relation.name)) ownState(this.owner).prefetched!.delete(this.relation.name);
  }

  /** The owner's key; without a saved owner, a ValidationError naming `method` (or the relation, for a read). */
  #ownerKey(method?: string): unknown {
    const { pk } = this.owner;
    if (pk === undefined || pk === null || !this.owner[STATE].persisted) throw this.#invalid(method, `needs a saved ${this.relation.from.name}: save() it first`);
    return pk;
  }

  /** Each row's key, checked as the join table's column checks it; each key once. */
  #targetKeys(items: readonly unknown[], method: string): unknown[] {
    const { far } = this.#keys;
    const keys = new Map<string, unknown>();
    for (const item of items) {
      if (item === null || item === undefined) throw this.#invalid(method, `was given ${String(item)}; it takes ${this.relation.to.name} rows or their keys`);
      checkRelation(this.owner, this.relation.name, item, undefined, method);
      const key = far.toColumn(this.#checkedItem(far, item, method));
      keys.set(String(key), key);
    }
    return [...keys.values()];
  }

  /**
   * A row or key as the join table's column takes it; a key given as text (`add(req.params.tagId)`) is read as a
   * filter reads it. Refused in the method's name, not the join table's column's.
   */
  #checkedItem(far: ForeignKeyField, item: unknown, method: string): unknown {
    try {
      return far.validateLookup(item);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const column = `${far.owner.name}.${far.name} `;
      throw this.#invalid(method, error.message.startsWith(column) ? error.message.slice(column.length) : error.message);
    }
  }

  #invalid(method: string | undefined, reason: string): ValidationError {
    return new ValidationError(`${this.#where(method)}${method ? "()" : ""} ${reason}`, this.relation.from.name, this.relation.name);
  }

  /** "Article.tags.add", or "Article.tags" without a method. */
  #where(method?: string): string {
    return `${this.relation.from.name}.${this.relation.name}${method ? `.${method}` : ""}`;
  }
}

/** add()'s and remove()'s arguments: the rows, and their options if the last one is those (an instance never is a plain object). */
function splitOptions(args: readonly unknown[], method: string, known: readonly string[]): { items: readonly unknown[]; options: ThroughOptions } {
  const last = args[args.length - 1];
  if (typeof last === "object" && last !== null && Object.getPrototypeOf(last) === Object.prototype) {
    // A plain object last is the options: one with other keys is a row written as values (`{ pk: 1 }`) or a typo, never ignored.
    unknownKeys(`${method}() (a plain object last is its options; rows are instances or keys)`, last, known);
    return { items: args.slice(0, -1), options: last as ThroughOptions };
  }
  return { items: args, options: {} };
}
