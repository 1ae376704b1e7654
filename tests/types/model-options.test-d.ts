// Issue 20: model options, validators, hooks and values() keys at the type level (findings 6 and 12).
import { describe, expectTypeOf, test } from "vitest";
import * as orm from "../../lib/index.js";

const database = new orm.Database("sqlite::memory:");
const Album = orm.Model.define(
  "Album",
  { title: orm.String({ validators: [(title) => (title === "" ? "may not be empty" : undefined)] }), year: orm.Integer() },
  { database, constraints: [{ unique: ["title", "year"] }], indexes: [{ fields: ["-year"] }], ordering: ["-year", "title"] },
);
const Track = orm.Model.define("Track", { album: orm.ForeignKey(Album), txt: orm.Text(), position: orm.Integer({ allowNull: true }) }, { database });

describe("options name the model's fields", () => {
  test("a misspelt field in a constraint, an index or the ordering does not compile", () => {
    // @ts-expect-error -- "titel" is no field
    orm.Model.define("A1", { title: orm.String() }, { database, constraints: [{ unique: ["titel"] }] });
    // @ts-expect-error -- "-yeer" is no field
    orm.Model.define("A2", { year: orm.Integer() }, { database, indexes: [{ fields: ["-yeer"] }] });
    // @ts-expect-error -- "nmae" is no field
    orm.Model.define("A3", { name: orm.String() }, { database, ordering: ["nmae"] });
    // @ts-expect-error -- a check constraint needs its name
    orm.Model.define("A4", { n: orm.Integer() }, { database, constraints: [{ check: { n__gte: 0 } }] });
  });

  test("validators take the field's value type", () => {
    orm.Integer({ validators: [(n) => void expectTypeOf(n).toEqualTypeOf<number>()] });
    orm.String({ allowNull: true, validators: [(text) => void expectTypeOf(text).toEqualTypeOf<string>()] });
    // @ts-expect-error -- a validator returns a message or nothing
    orm.Integer({ validators: [(n: number) => n > 1] });
  });

  test("autoNow and autoNowAdd together do not compile (finding 6)", () => {
    // @ts-expect-error -- they exclude each other
    orm.DateTime({ autoNow: true, autoNowAdd: true });
    orm.DateTime({ autoNow: true });
    orm.DateTime({ autoNowAdd: true });
  });
});

describe("hooks and clean() are methods a subclass overrides", () => {
  test("override compiles with the base's signatures", () => {
    class Checked extends Album {
      override clean() {
        if (this.year < 1900) return { year: "is too early" };
      }
      override async beforeSave() {
        this.title = this.title.trim();
      }
      override afterSave(created: boolean) {
        expectTypeOf(created).toEqualTypeOf<boolean>();
      }
      override async beforeDelete() {}
      override afterDelete() {}
    }
    expectTypeOf<InstanceType<typeof Checked>["save"]>().returns.resolves.toEqualTypeOf<Checked>();
    const error = new orm.ValidationError("x");
    expectTypeOf(error.errors).toEqualTypeOf<readonly orm.ValidationProblem[]>();
  });
});

describe("values() and valuesList() keys are checked (finding 6)", () => {
  test("values() of an unknown name does not compile", async () => {
    // @ts-expect-error -- "txt" is no field of Album
    Album.objects.values("id", "txt");
    // @ts-expect-error -- a lookup is not a value path
    Track.objects.values("txt__icontains");
    const rows = await Track.objects.values("id", "txt", "album__title");
    expectTypeOf(rows).toEqualTypeOf<{ id: number; txt: string; album__title: string }[]>();
  });

  test("non-flat valuesList rows are typed per position", async () => {
    const rows = await Track.objects.valuesList("id", "position", "album__year");
    expectTypeOf(rows).toEqualTypeOf<[number, number | null, number][]>();
    const listed = await Track.objects.valuesList("txt", "album", { flat: false });
    expectTypeOf(listed).toEqualTypeOf<[string, number][]>();
    const flat = await Track.objects.valuesList("txt", { flat: true });
    expectTypeOf(flat).toEqualTypeOf<string[]>();
    // @ts-expect-error -- "nope" is no field
    Track.objects.valuesList("id", "nope");
    // @ts-expect-error -- flat takes one name
    Track.objects.valuesList("id", "txt", { flat: true });
  });
});
