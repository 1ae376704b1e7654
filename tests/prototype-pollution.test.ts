import { beforeAll, beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

/** Runs `fn` with a key set on Object.prototype, as a polluted dependency would have set it. */
async function polluted<T>(key: string, value: unknown, fn: () => Promise<T>): Promise<T> {
  (Object.prototype as Record<string, unknown>)[key] = value;
  try {
    return await fn();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

describeEachDialect("prototype pollution", ({ database }) => {
  const Owner = orm.Model.define("PollutionOwner", { name: orm.String({ maxLength: 20 }) }, { database, tablename: "pollution_owners" });
  const Item = orm.Model.define(
    "PollutionItem",
    { label: orm.String({ maxLength: 20 }), keep: orm.Boolean(), owner: orm.ForeignKey(Owner, { allowNull: true }) },
    { database, tablename: "pollution_items" },
  );

  beforeAll(() => database.createAll());
  beforeEach(async () => {
    await Item.objects.delete();
    await Owner.objects.delete();
  });

  test("filter and exclude read only their argument's own keys, whatever Object.prototype holds", async () => {
    const [first, second] = [await Owner.objects.create({ name: "one" }), await Owner.objects.create({ name: "two" })];
    await Item.objects.create({ label: "kept", keep: true, owner: first });
    await Item.objects.create({ label: "kept too", keep: true, owner: second });
    await Item.objects.create({ label: "dropped", keep: false, owner: second });
    const deleted = await polluted("owner", second.pk, () => Item.objects.exclude({ keep: true }).delete());
    expect(deleted).toBe(1);
    expect((await Item.objects.orderBy("label").valuesList("label", { flat: true }))).toEqual(["kept", "kept too"]);
    await polluted("isAdmin", true, async () => {
      expect(await Item.objects.filter({ keep: true }).count()).toBe(2);
      expect((await Item.objects.get({ label: "kept" })).keep).toBe(true);
      expect(await Item.objects.filter(orm.Q.or({ label: "kept" }, { label: "nope" })).count()).toBe(1);
      const [found, created] = await Item.objects.getOrCreate({ label: "kept" }, { keep: true });
      expect(created).toBe(false);
      expect(found.label).toBe("kept");
      expect(await Item.objects.filter({ label: "kept" }).update({ keep: true })).toBe(1);
    });
  });

  test("create, bulkCreate and new instances write only their argument's own keys, whatever its prototypes hold", async () => {
    const owner = await Owner.objects.create({ name: "one" });
    await polluted("keep", true, async () => {
      // An inherited value is no value: the required field is missing, and nothing is written.
      expect(await errorOf(() => Item.objects.create({ label: "polluted" } as never))).toBeInstanceOf(orm.ValidationError);
      expect(await errorOf(() => Item.objects.bulkCreate([{ label: "a", keep: false }, { label: "b" } as never]))).toBeInstanceOf(orm.ValidationError);
      expect(await Item.objects.count()).toBe(0);
      await polluted("owner", owner.pk, async () => {
        const [made] = await Item.objects.bulkCreate([{ label: "own", keep: false }]);
        expect(made!.keep).toBe(false);
        expect(made!.owner).toBeNull();
      });
    });
    // A value on the argument's own prototype is inherited too.
    const inherits = Object.assign(Object.create({ keep: true, owner: owner.pk }) as object, { label: "child", keep: false });
    const saved = await Item.objects.create(inherits as never);
    expect(await Item.objects.filter({ pk: saved.pk }).valuesList("keep", "owner")).toEqual([[false, null]]);
  });

  test("__proto__, constructor and prototype are unknown fields everywhere", async () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const lookup = JSON.parse(`{"${key}": {"keep": true}}`) as Record<string, unknown>;
      const calls: Array<() => unknown> = [
        () => Item.objects.filter(lookup).count(),
        () => Item.objects.exclude(lookup).delete(),
        () => Item.objects.get(lookup),
        () => Item.objects.create(lookup as never),
        () => Item.objects.filter({ keep: true }).update(lookup as never),
        () => Item.objects.getOrCreate(lookup, {}),
        () => Item.objects.updateOrCreate({ label: "x" }, lookup as never),
        () => Item.objects.filter({ [`owner__${key}`]: 1 }).count(),
      ];
      for (const call of calls) {
        const error = await errorOf(call);
        expect(error, `${key}: ${call}`).toBeInstanceOf(orm.UnknownFieldError);
      }
    }
    expect(await Item.objects.count()).toBe(0);
  });
});

test("Model.define refuses field names that clash with Object.prototype or an instance's own members", () => {
  const database = new orm.Database("sqlite::memory:");
  for (const name of ["__proto__", "hasOwnProperty", "constructor", "toString", "valueOf", "isPrototypeOf", "prototype", "save", "load", "toJSON", "__defineGetter__"]) {
    const fields = JSON.parse(`{"${name}": null}`) as Record<string, unknown>;
    fields[name] = orm.String();
    const error = (() => {
      try {
        orm.Model.define(`Clash${name.replace(/\W/g, "")}`, fields as never, { database });
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error, name).toBeInstanceOf(TypeError);
    expect(error?.message, name).toContain(name);
  }
});
