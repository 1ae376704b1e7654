import { Database } from "../database.js";
import { TransactionError, ValidationError } from "../errors.js";
import { innermostTransaction } from "../transaction.js";
import { describe } from "./fields.js";
import { META, SLOTS, STATE, type InstanceState } from "./instance.js";
import type { ModelMeta } from "./meta.js";
import type { AnyModelClass, InstanceMethods } from "./model.js";

/** What a router is told besides the model: the instance the statement concerns, for a save, a delete or a relation's load. */
export interface RouterHints {
  readonly instance?: InstanceMethods;
}

/**
 * Where the statements of a database's models run when no `using(database)` says (Django's database router), given
 * as `new orm.Database(url, { router })` on the database the models are defined on. Each method returns the Database
 * to use, or undefined (or null) for no opinion: the instance's own database for a statement about an instance, else
 * the models' database. A method left out is no opinion for every model.
 */
export interface Router {
  /** SELECTs: QuerySets, relation loads, load(). */
  read?(model: AnyModelClass, hints: RouterHints): Database | null | undefined;
  /** INSERT, UPDATE and DELETE: save(), create(), update(), delete(), many-to-many links. */
  write?(model: AnyModelClass, hints: RouterHints): Database | null | undefined;
}

/** The router as given, checked: its methods must be functions. */
export function checkRouter(router: unknown): Router | undefined {
  if (router === undefined || router === null) return undefined;
  if (typeof router !== "object") throw new TypeError(`router must be an object with read(model, hints) and/or write(model, hints), got ${describe(router)}`);
  for (const method of ["read", "write"] as const) {
    const value = (router as Record<string, unknown>)[method];
    if (value !== undefined && typeof value !== "function") throw new TypeError(`router.${method} must be a function (model, hints) => Database | undefined, got ${describe(value)}`);
  }
  return router as Router;
}

interface Placed {
  [STATE]: InstanceState;
  [SLOTS]: unknown[];
  [META]: ModelMeta;
}

/**
 * The database an instance's row is known to live in: where it was read or last saved (its models' database unless it
 * says otherwise), or for an unsaved instance none.
 */
export function databaseOf(instance: object): Database | undefined {
  const { [STATE]: state } = instance as Placed;
  if (state.database !== undefined) return state.database;
  return state.persisted ? (instance as Placed)[META].database : undefined;
}

/** An unsaved instance belongs where the rows its foreign keys hold live (as in Django): the first such row's database. */
function adoptedDatabase(instance: object): Database | undefined {
  const { [META]: meta, [SLOTS]: slots } = instance as Placed;
  for (const field of meta.foreignKeys) {
    const value = slots[field.slot];
    if (typeof value === "object" && value !== null && (value as Partial<Placed>)[STATE] !== undefined) {
      const database = databaseOf(value);
      if (database !== undefined) return database;
    }
  }
  return undefined;
}

/**
 * Where one statement of `meta`'s rows runs: `using` where given; else what the router of the models' database says,
 * with `instance` as its hint; else the instance's own database; else the models' database. A database other than the
 * models' is refused inside another database's transaction that it has no part in (see outsideTransaction).
 */
export function place(meta: ModelMeta, write: boolean, using: Database | undefined, instance: object | undefined): Database {
  const home = meta.database;
  let chosen = using;
  if (chosen === undefined) {
    const router = home.router;
    const route = router && (write ? router.write : router.read);
    if (route) chosen = routed(route.call(router, meta.model, instance ? { instance: instance as InstanceMethods } : {}), meta, write ? "write" : "read");
    if (chosen === undefined && instance !== undefined) chosen = databaseOf(instance) ?? adoptedDatabase(instance);
    chosen ??= home;
  }
  if (chosen !== home) outsideTransaction(meta, chosen);
  return chosen;
}

function routed(value: unknown, meta: ModelMeta, method: "read" | "write"): Database | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Database) return value;
  // An async router is the likely mistake: each statement asks it synchronously, as it is about to be sent.
  const returned = typeof (value as { then?: unknown }).then === "function" ? "a Promise (a router answers synchronously: no async)" : describe(value);
  throw new TypeError(
    `The router of ${meta.database}: router.${method}() for ${meta.name} returned ${returned}; it must return an orm.Database, or undefined (or null) for ${meta.name}'s own database`,
  );
}

/**
 * Inside a transaction of one database, a statement on another that has no transaction open there would commit at
 * once, whatever the transaction then does: refused before any SQL.
 */
function outsideTransaction(meta: ModelMeta, target: Database): void {
  const open = innermostTransaction();
  if (open === undefined || target.currentTransaction !== undefined) return;
  throw new TransactionError(
    `${meta.name}: this statement would run on ${target}, inside a transaction of ${open.database} that ${target} has no part in: ` +
      `it would commit at once, whatever that transaction does. Open a transaction() of ${target} too, inside this one ` +
      `(each commits on its own: the two are not atomic together), or run the statement outside the transaction.`,
    false,
  );
}

/**
 * A relation joins rows of one database: `related`, given to `owner`'s `field` (by `method`, for a many-to-many), must
 * live where `owner` does (where `owner` is going, `ownerDatabase`, for one not saved anywhere yet). ValidationError otherwise.
 */
export function checkRelation(owner: object, field: string, related: unknown, ownerDatabase: Database | undefined, method?: string): void {
  const ours = ownerDatabase ?? databaseOf(owner);
  if (ours !== undefined) checkRelated((owner as Placed)[META], field, related, ours, method);
}

/** The rows the foreign keys of `slots` (a row of `meta` written to `database`: bulkCreate's, update()'s) hold live there too. */
export function checkSlotRelations(meta: ModelMeta, slots: readonly unknown[], database: Database): void {
  for (const field of meta.foreignKeys) {
    const value = slots[field.slot];
    if (typeof value === "object" && value !== null) checkRelated(meta, field.name, value, database);
  }
}

function checkRelated(ownerMeta: ModelMeta, field: string, related: unknown, ours: Database, method?: string): void {
  if (typeof related !== "object" || related === null || (related as Partial<Placed>)[STATE] === undefined) return;
  const theirs = databaseOf(related);
  if (theirs === undefined || theirs === ours) return;
  const relatedMeta = (related as Placed)[META];
  throw new ValidationError(
    `${ownerMeta.name}.${field}${method ? `.${method}()` : ""} cannot take ${String(related)} of ${theirs}: this ${ownerMeta.name} belongs to ${ours}, and a relation ` +
      `joins rows of one database, never a row of another database. Copy the ${relatedMeta.name} there first (save({ using })), or use that database's ${relatedMeta.name}.`,
    ownerMeta.name,
    field,
  );
}
