import { heldValue, META, ownState, slotsOf, STATE } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { Model, ModelClass } from "../model/model.js";
import type { RelationStep } from "../query/paths.js";
import { decodeValue, patchState, QueryCompiler, type ValueColumn } from "../query/compiler.js";
import { defaultState } from "../query/queryset.js";
import { findLookup } from "../query/lookups.js";
import { FROM_DATABASE, rowMaker, rowState } from "../model/instance.js";
import type { Database } from "../database.js";
import { readRows, selectReader } from "../query/hydrate.js";
import { hasBigIntegers } from "../query/persist.js";
import { compileSelect } from "../query/statement-cache.js";
import { resolveCondition } from "../query/where.js";
import { about } from "../query/about.js";

/** Keys per `IN (...)` list: far below every database's limit on bound parameters. */
const KEYS_PER_QUERY = 5000;

/** Rows prefetchRelated stored for `owner.<name>`, if it did. */
export function prefetchedRows(owner: object, name: string): readonly object[] | undefined {
  const rows = (owner as Model)[STATE].prefetched?.get(name);
  if (rows) ((owner as Model).constructor as ModelClass)[META].database.nPlusOne.read(rows);
  return rows;
}

/** A tree of relation names: `["tracks__album", "tracks__genre"]` is tracks → { album, genre }. */
type PrefetchTree = Map<string, PrefetchTree>;

export function prefetchTree(paths: readonly string[]): PrefetchTree {
  const root: PrefetchTree = new Map();
  for (const path of paths) {
    let node = root;
    for (const name of path.split("__")) {
      let child = node.get(name);
      if (!child) node.set(name, (child = new Map()));
      node = child;
    }
  }
  return root;
}

/** Checks each hop of a prefetchRelated path before any SQL: UnknownFieldError lists what exists. */
export function checkPrefetchPath(meta: ModelMeta, path: string): void {
  let current = meta;
  for (const name of path.split("__")) {
    const relation = current.relations.get(name);
    if (!relation) throw current.unknown(name, "relation to prefetch", path);
    current = relation.to;
  }
}

/** Loads each relation of the tree for all `instances` at once, from `database` (where they were read): one query a relation, not one a row. */
export async function prefetch(meta: ModelMeta, instances: readonly object[], tree: PrefetchTree, database: Database): Promise<void> {
  if (instances.length === 0) return;
  for (const [name, subtree] of tree) {
    const relation = meta.relations.get(name)!;
    const related = relation.hops
      ? await prefetchMany(instances, relation, database)
      : relation.toField === relation.to.pk
        ? await prefetchForward(instances, relation, database)
        : await prefetchReverse(instances, relation, database);
    if (subtree.size > 0) await prefetch(relation.to, related, subtree, database);
  }
}

/** The database rows read from `database` remember: undefined for their model's own. */
function awayFrom(meta: ModelMeta, database: Database): Database | undefined {
  return database === meta.database ? undefined : database;
}

/**
 * The rows of `meta` whose `key` is one of `values`, one query per chunk of keys. Their foreign keys hold
 * bare keys until read, so prefetchReverse can point them at the owners it already has.
 */
async function fetchIn(meta: ModelMeta, database: Database, key: string, values: readonly unknown[]): Promise<Model[]> {
  let rows: Model[] = [];
  for (let start = 0; start < values.length; start += KEYS_PER_QUERY) {
    const chunk = values.slice(start, start + KEYS_PER_QUERY);
    const state = patchState(defaultState(meta), { conditions: [resolveCondition(meta, { [`${key}__in`]: chunk })] });
    const select = compileSelect(meta, state, database);
    const result = await database.runCompiled(select.query, { about: about(meta, "SELECT"), arrayRows: true, exactIntegers: hasBigIntegers(meta) });
    const read = selectReader(meta.model, state, select, awayFrom(meta, database));
    const instances = readRows(result.rows as unknown[], read) as Model[];
    rows = rows.length === 0 ? instances : rows.concat(instances);
  }
  return rows;
}

/** `track.album` for every track: the keys (or stubs) replaced by full rows. */
async function prefetchForward(instances: readonly object[], relation: RelationStep, database: Database): Promise<Model[]> {
  const field = relation.fromField;
  const keys = new Map<string, unknown>();
  for (const instance of instances) {
    const key = relatedKey(heldValue(instance, field));
    if (key !== undefined) keys.set(String(key), key);
  }
  const rows = keys.size === 0 ? [] : await fetchIn(relation.to, database, "pk", [...keys.values()]);
  const byKey = new Map(rows.map((row) => [String(row.pk), row]));
  for (const instance of instances) {
    const key = relatedKey(heldValue(instance, field));
    const row = key === undefined ? undefined : byKey.get(String(key));
    if (row) slotsOf(instance)[field.slot] = row;
  }
  return rows;
}

/** The related row's key, from a foreign key's value as a row holds it (the key until first read, then a stub or a row); undefined for null. */
function relatedKey(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  return typeof value === "object" ? (value as Model).pk : value;
}

/** `album.tracks` for every album: one query, rows grouped by their key, each pointing back at its owner. */
async function prefetchReverse(instances: readonly object[], relation: RelationStep, database: Database): Promise<Model[]> {
  // Taken before the first await, while the user's frame is still on the stack.
  const stack = relation.from.database.nPlusOne.pending()?.stack;
  // Keyed by the keys themselves: a foreign key decodes with its target's key codec, so both sides hold one type.
  const owners = new Map(instances.map((instance) => [(instance as Model).pk, { owner: instance, rows: [] as Model[] }]));
  const keyField = relation.toField;
  const rows = await fetchIn(relation.to, database, keyField.name, [...owners.keys()]);
  // The rows mostly arrive grouped by key (as the key's index hands them over): a run of them finds its group once.
  let key: unknown;
  let group: { owner: object; rows: Model[] } | undefined;
  for (const row of rows) {
    const slots = slotsOf(row);
    const rowKey = slots[keyField.slot];
    if (rowKey !== key || group === undefined) group = owners.get((key = rowKey));
    if (!group) continue;
    group.rows.push(row);
    slots[keyField.slot] = group.owner;
  }
  for (const { owner, rows: owned } of owners.values()) (ownState(owner).prefetched ??= new Map()).set(relation.name, owned);
  const { database: home, name } = relation.from;
  if (stack) home.nPlusOne.eagerLoaded(name, relation.name, [...owners.values()].map((group) => group.rows), stack);
  return rows;
}

/**
 * `article.tags` for every article: one query over the related table joined to the join table, each row
 * carrying the key of the owner it is linked to (a row linked to two owners comes once for each).
 */
async function prefetchMany(instances: readonly object[], relation: RelationStep, database: Database): Promise<Model[]> {
  // Taken before the first await, while the user's frame is still on the stack.
  const stack = relation.from.database.nPlusOne.pending()?.stack;
  const [toLinks, toRows] = relation.hops!;
  const target = relation.to;
  const ownerKey = toLinks.toField;
  // From the related rows to their links, joined (not EXISTS): each link is a row, with its owner's key.
  const toOwners: RelationStep = { name: `${relation.name}<`, from: target, to: toLinks.to, fromField: target.pk, toField: toRows.fromField, many: false, nullable: false };
  const columns: ValueColumn[] = [...target.columns.map((field) => ({ name: field.name, steps: [], field })), { name: "", steps: [toOwners], field: ownerKey }];
  // A through model without a unique pair may link two rows twice: the owner holds the row once, as its manager reads it.
  const once = !toLinks.to.isUnique([ownerKey.name, toRows.fromField.name]);
  const owners = new Map(instances.map((instance) => [(instance as Model).pk, { owner: instance, rows: [] as Model[], linked: once ? new Set<unknown>() : undefined }]));
  const pkAt = target.columns.indexOf(target.pk);
  const keys = [...owners.keys()];
  const make = rowMaker<Model>(target.model, rowState(FROM_DATABASE, awayFrom(target, database)));
  const width = target.columns.length;
  const rows: Model[] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
    const condition = { kind: "lookup" as const, steps: [toOwners], field: ownerKey, lookup: findLookup("in")!, value: keys.slice(start, start + KEYS_PER_QUERY) };
    const state = patchState(defaultState(target), { conditions: [condition], values: { columns, shape: "array", grouped: false } });
    const { statement, decoders } = new QueryCompiler(target, database.dialect).values(state);
    const result = await database.run(statement, { about: about(target, "SELECT"), arrayRows: true, exactIntegers: hasBigIntegers(target) || hasBigIntegers(toLinks.to) });
    for (const raw of result.rows as unknown[][]) {
      const owner = decodeValue(decoders[width]!, raw[width]);
      raw.length = width;
      for (let index = 0; index < width; index++) raw[index] = decodeValue(decoders[index]!, raw[index]);
      const group = owners.get(owner);
      if (group?.linked) {
        if (group.linked.has(raw[pkAt])) continue;
        group.linked.add(raw[pkAt]);
      }
      const row = make(raw);
      rows.push(row);
      group?.rows.push(row);
    }
  }
  for (const { owner, rows: owned } of owners.values()) (ownState(owner).prefetched ??= new Map()).set(relation.name, owned);
  if (stack) relation.from.database.nPlusOne.eagerLoaded(relation.from.name, relation.name, [...owners.values()].map((group) => group.rows), stack);
  return rows;
}
