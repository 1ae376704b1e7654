import { isDeepStrictEqual } from "node:util";
import {
  AddConstraint,
  AddField,
  AddIndex,
  AlterField,
  CreateModel,
  DeleteModel,
  RemoveConstraint,
  RemoveField,
  RemoveIndex,
  RenameField,
  RenameModel,
  StateOnly,
  type Operation,
} from "./operations.js";
import { snakeCase } from "../model/model.js";
import type { Questioner } from "./questioner.js";
import { isManyToMany, type FieldState, type ModelState, type ProjectState } from "./state.js";

/** The diff as it is worked out: each step below reads the states and adds its operations. */
interface Diff {
  readonly from: ProjectState;
  readonly to: ProjectState;
  readonly questioner: Questioner;
  readonly operations: Operation[];
  /** Old model name -> new, as the renames were answered. */
  readonly renamedModels: Map<string, string>;
  /** Join models of the old state that ManyToMany fields took over ("Article_tags"), and those fields ("Article.tags"). */
  readonly adopted: Set<string>;
}

const sameFields = (a: ModelState, b: ModelState) =>
  isDeepStrictEqual(
    Object.entries(a.fields).map(([name, field]) => [name, { ...field, to: undefined }]),
    Object.entries(b.fields).map(([name, field]) => [name, { ...field, to: undefined }]),
  );

/** The new name of a model of the old state (itself unless renamed). */
const newName = (diff: Diff, name: string) => diff.renamedModels.get(name) ?? name;

async function renamedModels(diff: Diff): Promise<void> {
  const added = [...diff.to.models.values()].filter((model) => !diff.from.models.has(model.name));
  for (const old of [...diff.from.models.values()].filter((model) => !diff.to.models.has(model.name))) {
    for (const model of added) {
      if ([...diff.renamedModels.values()].includes(model.name) || !sameFields(old, model)) continue;
      if (await diff.questioner.askRename(old.name, old.name, model.name, false)) {
        diff.renamedModels.set(old.name, model.name);
        diff.operations.push(new RenameModel(old.name, model.name, { from: old.table, to: model.table }));
        break;
      }
    }
  }
}

/** The field needs its target's table to exist: a key, or a ManyToMany whose join table quarry makes (a through model's is its own). */
const needsTarget = (field: FieldState): boolean => field.to !== undefined && !field.through;

/**
 * New models, each after the models its keys and join tables reference. A ManyToMany whose target cannot come
 * first (the two reference each other) is added once every new model exists.
 */
function createdModels(diff: Diff): void {
  const renamedTo = new Set(diff.renamedModels.values());
  const created = [...diff.to.models.values()].filter((model) => !diff.from.models.has(model.name) && !renamedTo.has(model.name));
  const byName = new Map(created.map((model) => [model.name, model]));
  // Whether `from`'s table needs `to`'s through foreign keys: then a ManyToMany of `to` cannot wait for `from`.
  const needsByKeys = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return Object.values(byName.get(from)?.fields ?? {}).some((field) => !isManyToMany(field) && field.to !== undefined && needsByKeys(field.to, to, seen));
  };
  const done = new Set<string>();
  const deferred: AddField[] = [];
  const visit = (model: ModelState, path: Set<string>) => {
    if (done.has(model.name) || path.has(model.name)) return;
    path.add(model.name);
    for (const field of Object.values(model.fields)) {
      const target = needsTarget(field) ? byName.get(field.to!) : undefined;
      if (target && !(isManyToMany(field) && needsByKeys(target.name, model.name))) visit(target, path);
    }
    done.add(model.name);
    const waiting = (field: FieldState) =>
      isManyToMany(field) && needsTarget(field) && byName.has(field.to!) && !done.has(field.to!);
    const fields = Object.entries(model.fields);
    deferred.push(...fields.filter(([, field]) => waiting(field)).map(([name, field]) => new AddField(model.name, name, field)));
    const now = Object.fromEntries(fields.filter(([, field]) => !waiting(field)));
    diff.operations.push(new CreateModel(model.name, now, { table: model.table, indexes: model.indexes, constraints: model.constraints }));
  };
  for (const model of created) visit(model, new Set());
  diff.operations.push(...deferred);
}

/** Pairs of models present before and after (under their new names where renamed). */
function keptModels(diff: Diff): [ModelState, ModelState][] {
  const pairs: [ModelState, ModelState][] = [];
  for (const old of diff.from.models.values()) {
    const model = diff.to.models.get(newName(diff, old.name));
    if (model) pairs.push([{ ...old, name: model.name }, model]);
  }
  return pairs;
}

/** What a field is once renames of models are applied to the models it names. */
const followRenames = (diff: Diff, field: FieldState): FieldState => ({
  ...field,
  ...(field.to && diff.renamedModels.has(field.to) ? { to: newName(diff, field.to) } : {}),
  ...(field.through && diff.renamedModels.has(field.through) ? { through: newName(diff, field.through) } : {}),
});

async function renamedFields(diff: Diff, renames: Map<string, Map<string, string>>): Promise<void> {
  for (const [old, model] of keptModels(diff)) {
    const gone = Object.keys(old.fields).filter((name) => !(name in model.fields));
    const added = Object.keys(model.fields).filter((name) => !(name in old.fields));
    const map = new Map<string, string>();
    for (const oldName of gone) {
      const before = followRenames(diff, old.fields[oldName]!);
      for (const name of added) {
        if ([...map.values()].includes(name)) continue;
        const after = model.fields[name]!;
        // The same field under another name (its column following the name, or kept by `column`).
        if (!isDeepStrictEqual({ ...before, column: undefined }, { ...after, column: undefined })) continue;
        if (await diff.questioner.askRename(model.name, oldName, name, true)) {
          map.set(oldName, name);
          diff.operations.push(new RenameField(model.name, oldName, name));
          break;
        }
      }
    }
    renames.set(model.name, map);
  }
}

function removedFields(diff: Diff, renames: Map<string, Map<string, string>>): void {
  for (const [old, model] of keptModels(diff)) {
    for (const name of Object.keys(old.fields)) {
      if (!(name in model.fields) && !renames.get(model.name)?.has(name)) diff.operations.push(new RemoveField(model.name, name));
    }
  }
}

/**
 * Join tables that migrations recorded as models of their own before they knew ManyToMany fields (a model
 * `Article_tags` on `article_tags`, as quarry defines it): the field takes the table over as it is, rows kept.
 */
function adoptedJoinModels(diff: Diff): void {
  for (const [old, model] of keptModels(diff)) {
    for (const [name, field] of Object.entries(model.fields)) {
      if (!isManyToMany(field) || field.through || name in old.fields) continue;
      const legacy = diff.from.models.get(`${model.name}_${name}`);
      if (!legacy || diff.to.models.has(legacy.name) || legacy.table !== `${model.table}_${snakeCase(name)}`) continue;
      diff.adopted.add(legacy.name).add(`${model.name}.${name}`);
      diff.operations.push(new StateOnly([new DeleteModel(legacy.name), new AddField(model.name, name, field)]));
    }
  }
}

async function addedFields(diff: Diff, renames: Map<string, Map<string, string>>): Promise<void> {
  for (const [old, model] of keptModels(diff)) {
    const renamedTo = new Set(renames.get(model.name)?.values());
    for (const [name, field] of Object.entries(model.fields)) {
      if (name in old.fields || renamedTo.has(name) || diff.adopted.has(`${model.name}.${name}`)) continue;
      diff.operations.push(await addition(diff, model.name, name, field));
    }
  }
}

/** A column without a default added to a table that may hold rows: what those rows get is asked. */
const needsFill = (field: FieldState) => !isManyToMany(field) && !field.allowNull && field.default === undefined && !field.primaryKey;

async function addition(diff: Diff, model: string, name: string, field: FieldState): Promise<AddField> {
  const fill = needsFill(field) ? await diff.questioner.askFill(model, name, field) : undefined;
  return new AddField(model, name, field, fill === undefined ? {} : { fill });
}

/**
 * The values the rows moved into a through model get for its columns without a default: its fields other than
 * the two keys that hold the pairs (by throughFields, else the keys to either side).
 */
async function throughFills(diff: Diff, owner: string, field: FieldState): Promise<Record<string, unknown> | undefined> {
  const through = diff.to.model(field.through!);
  const keys: readonly string[] = field.throughFields ?? [];
  const fills: Record<string, unknown> = {};
  for (const [name, column] of Object.entries(through.fields)) {
    const holdsPairs = keys.length > 0 ? keys.includes(name) : !isManyToMany(column) && (column.to === owner || column.to === field.to);
    if (!holdsPairs && needsFill(column)) fills[name] = await diff.questioner.askFill(through.name, name, column);
  }
  return Object.keys(fills).length > 0 ? fills : undefined;
}

async function alteredFields(diff: Diff, renames: Map<string, Map<string, string>>): Promise<void> {
  for (const [old, model] of keptModels(diff)) {
    const map = renames.get(model.name) ?? new Map<string, string>();
    for (const [oldName, field] of Object.entries(old.fields)) {
      const name = map.get(oldName) ?? oldName;
      const now = model.fields[name];
      if (!now || isDeepStrictEqual(followRenames(diff, field), now)) continue;
      if (isManyToMany(field) !== isManyToMany(now)) {
        // A column became a join table or the other way: nothing carries over.
        diff.operations.push(new RemoveField(model.name, name), await addition(diff, model.name, name, now));
        continue;
      }
      const fills = isManyToMany(now) && now.through && !field.through ? await throughFills(diff, model.name, now) : undefined;
      diff.operations.push(new AlterField(model.name, name, now, fills ? { fills } : {}));
    }
  }
}

/** Model options' indexes and constraints, compared by name: a changed one is removed and added again. */
function indexesAndConstraints(diff: Diff): void {
  for (const [old, model] of [...keptModels(diff)]) {
    const removedIndexes = (old.indexes ?? []).filter((index) => !(model.indexes ?? []).some((now) => isDeepStrictEqual(now, index)));
    const addedIndexes = (model.indexes ?? []).filter((index) => !(old.indexes ?? []).some((before) => isDeepStrictEqual(before, index)));
    const removedConstraints = (old.constraints ?? []).filter((constraint) => !(model.constraints ?? []).some((now) => isDeepStrictEqual(now, constraint)));
    const addedConstraints = (model.constraints ?? []).filter((constraint) => !(old.constraints ?? []).some((before) => isDeepStrictEqual(before, constraint)));
    diff.operations.push(
      ...removedIndexes.map((index) => new RemoveIndex(model.name, index)),
      ...removedConstraints.map((constraint) => new RemoveConstraint(model.name, constraint)),
      ...addedIndexes.map((index) => new AddIndex(model.name, index)),
      ...addedConstraints.map((constraint) => new AddConstraint(model.name, constraint)),
    );
  }
}

/** Models gone, those referencing others first. */
function deletedModels(diff: Diff): void {
  const deleted = [...diff.from.models.values()].filter(
    (model) => !diff.to.models.has(newName(diff, model.name)) && !diff.renamedModels.has(model.name) && !diff.adopted.has(model.name),
  );
  const referenced = (model: ModelState) => deleted.some((other) => other !== model && Object.values(other.fields).some((field) => field.to === model.name));
  for (const model of [...deleted].sort((a, b) => Number(referenced(a)) - Number(referenced(b)))) diff.operations.push(new DeleteModel(model.name));
}

/**
 * The operations that take the schema from `from` (replayed from the migrations) to `to` (the models now). Renames
 * are asked, never guessed; each kind of change is found by a function of its own, in an order that keeps every
 * step valid (models created before fields point at them, fields removed before their models go).
 */
export async function detectChanges(from: ProjectState, to: ProjectState, questioner: Questioner): Promise<Operation[]> {
  const diff: Diff = { from, to, questioner, operations: [], renamedModels: new Map(), adopted: new Set() };
  const fieldRenames = new Map<string, Map<string, string>>();
  await renamedModels(diff);
  createdModels(diff);
  await renamedFields(diff, fieldRenames);
  removedFields(diff, fieldRenames);
  adoptedJoinModels(diff);
  await addedFields(diff, fieldRenames);
  await alteredFields(diff, fieldRenames);
  indexesAndConstraints(diff);
  deletedModels(diff);
  return diff.operations;
}
