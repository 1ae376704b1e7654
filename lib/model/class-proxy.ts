import { nearest } from "../suggest.js";
import { Manager } from "../query/queryset.js";

/** Statics a model class has, for "did you mean" on a misspelt one. */
const STATICS = ["objects", "fields", "pkname", "tablename", "database"];

/** Other ORMs' habits, by name: where quarry does it. */
const HABITS: Record<string, string> = {
  ...Object.fromEntries(["findAll", "getAll", "list", "fetchAll", "findMany", "select"].map((name) => [name, "objects.all() or .objects.filter({ ... })"])),
  ...Object.fromEntries(["find", "findOne", "findFirst", "findUnique", "findById", "findByPk", "findByID", "fetch"].map((name) => [name, "objects.get({ pk: 1 }) or .objects.first()"])),
  ...Object.fromEntries(["insert", "build", "createMany", "insertMany"].map((name) => [name, "objects.create({ ... }) or .objects.bulkCreate([...])"])),
  ...Object.fromEntries(["destroy", "remove", "deleteMany"].map((name) => [name, "objects.filter({ ... }).delete()"])),
  ...Object.fromEntries(["updateMany"].map((name) => [name, "objects.filter({ ... }).update({ ... })"])),
  ...Object.fromEntries(["query", "where", "manager", "objs", "object", "Objects"].map((name) => [name, "objects, where every query starts: .objects.filter({ ... })"])),
};

/** Names a promise or a serializer probes for: never a hint, always undefined. */
const PROBES = new Set(["then", "catch", "finally", "toJSON", "constructor"]);

function isQueryMethod(name: string): boolean {
  return !PROBES.has(name) && name in Manager.prototype;
}

/**
 * The class Model.define returns: the class itself behind a Proxy whose `get` trap turns a name the class
 * does not have into the error a user needs where it names a QuerySet method (`Note.filter` → `Note.objects.filter`),
 * another ORM's habit (`Note.findAll`) or a misspelt static (`Note.object`). Any other unknown name reads as
 * undefined, as on any class, so framework probes (`then`, symbols) are left alone.
 */
export function modelClassProxy<C extends abstract new (...args: never[]) => object>(model: C): C {
  return new Proxy(model, {
    get(target, property, receiver) {
      if (typeof property !== "string" || property in target) return Reflect.get(target, property, receiver);
      const name = (receiver as { name?: string }).name ?? target.name;
      const use = isQueryMethod(property) ? `objects.${property}(...)` : (HABITS[property] ?? nearest(property, STATICS));
      if (use) throw new TypeError(`${name}.${property} does not exist: use ${name}.${use}`);
      return undefined;
    },
  });
}
