import type { CompiledQuery, QueryOptions } from "../drivers/driver.js";
import type { Database } from "../database.js";
import type { Dialect } from "../dialects/dialect.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { ModelClass } from "../model/model.js";
import { selectReader } from "./hydrate.js";
import { patchState, type QueryState } from "./compiler.js";
import { bindReused, compileSelect } from "./statement-cache.js";
import { lookupValue, resolveCondition, resolveKey, type LookupObject, type Q, type ResolvedKey } from "./where.js";

/**
 * get() by one set of lookup keys on one QuerySet, planned at its first call: the SELECT's text, how its
 * rows read back, and where each key's value binds. Later calls check and bind their values and send it,
 * with no QuerySet derived and no shape key built: `Model.objects.get({ pk })` is the commonest read there is.
 */
export interface GetPlan {
  readonly keys: readonly string[];
  readonly lookups: readonly ResolvedKey[];
  /** Each key's shape of text (see bindReused): a value that needs another shape goes the general way. */
  readonly shapes: readonly string[];
  /** What the QuerySet's own conditions bind, ahead of the keys' values. */
  readonly baseValues: readonly unknown[];
  readonly text: string;
  /** The dialect the text is written in. */
  readonly dialect: Dialect;
  readonly options: QueryOptions;
  readonly read: (row: readonly unknown[]) => object;
}

/** The state get() queries with: the QuerySet's, narrowed by the lookups, two rows at most (to tell one from many), in no order. */
export function getState(meta: ModelMeta, state: QueryState, lookups: readonly (LookupObject | Q)[]): QueryState {
  return patchState(state, { conditions: [...state.conditions, ...lookups.map((lookup) => resolveCondition(meta, lookup, state.annotations))], limit: 2, ordering: [] });
}

/** The plan for get(lookups) on a QuerySet in `state`, run on `database`, or null where its text depends on more than the keys. */
export function planGet(model: ModelClass, state: QueryState, lookups: LookupObject, options: QueryOptions, database: Database): GetPlan | null {
  const meta = model[META];
  const planned = getState(meta, state, [lookups]);
  const select = compileSelect(meta, planned, database);
  const { dialect } = database;
  if (!select.reusable) return null;
  const { query } = select;
  const keys = Object.keys(lookups);
  const resolved = keys.map((key) => resolveKey(meta, key));
  const keyValues: unknown[] = [];
  const shapes: string[] = [];
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    const { field, lookup } = resolved[index]!;
    const shape = bindReused(dialect, field, lookup, lookupValue(meta, key, resolved[index]!, lookups[key]), keyValues);
    if (shape === undefined) return null;
    shapes.push(shape);
  }
  const baseValues = query.values.slice(0, query.values.length - keyValues.length);
  // The keys' values must be the tail of what the text binds, exactly, or the plan would bind them elsewhere.
  if (!keyValues.every((value, index) => Object.is(value, query.values[baseValues.length + index]))) return null;
  const away = database === meta.database ? undefined : database;
  return { keys, lookups: resolved, shapes, baseValues, text: query.text, dialect, options, read: selectReader(model, planned, select, away) };
}

/** The statement for this call, or undefined where its values need another text than the plan's. */
export function bindGet(meta: ModelMeta, plan: GetPlan, lookups: LookupObject): CompiledQuery | undefined {
  const values = plan.baseValues.slice();
  for (let index = 0; index < plan.keys.length; index++) {
    const key = plan.keys[index]!;
    const resolved = plan.lookups[index]!;
    const value = lookupValue(meta, key, resolved, lookups[key]);
    if (bindReused(plan.dialect, resolved.field, resolved.lookup, value, values) !== plan.shapes[index]) return undefined;
  }
  return { text: plan.text, values };
}
