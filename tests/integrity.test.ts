import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

// Issue 20, finding 11: an IntegrityError says what was violated, the same way on every database.
describeEachDialect("integrity errors", ({ database, dialect }) => {
  const User = orm.Model.define("User", { username: orm.String({ unique: true }), email: orm.Email({ unique: true }) }, { database });
  const Team = orm.Model.define("Team", { name: orm.String() }, { database });
  const Member = orm.Model.define(
    "Member",
    { team: orm.ForeignKey(Team, { onDelete: "RESTRICT" }), user: orm.ForeignKey(User), score: orm.Integer({ default: 0 }) },
    { database, constraints: [{ unique: ["team", "user"], name: "one_membership" }, { check: { score__gte: 0 }, name: "score_not_negative" }] },
  );

  beforeAll(() => database.createAll());

  async function integrityError(fn: () => Promise<unknown>): Promise<orm.IntegrityError> {
    const error = await errorOf(fn);
    expect(error).toBeInstanceOf(orm.IntegrityError);
    return error as orm.IntegrityError;
  }

  test("a unique field: kind unique and the field, so 'username taken' and 'email taken' differ", async () => {
    await User.objects.create({ username: "ann", email: "ann@example.com" });
    const username = await integrityError(() => User.objects.create({ username: "ann", email: "other@example.com" }));
    expect(username).toMatchObject({ kind: "unique", model: "User", fields: ["username"] });
    const email = await integrityError(() => User.objects.create({ username: "bob", email: "ann@example.com" }));
    expect(email).toMatchObject({ kind: "unique", model: "User", fields: ["email"] });
    expect(email.message).toMatch(/^User: /);
  });

  test("a named composite unique constraint: its name and its fields", async () => {
    const team = await Team.objects.create({ name: "Red" });
    const user = await User.objects.create({ username: "cat", email: "cat@example.com" });
    await Member.objects.create({ team, user });
    const error = await integrityError(() => Member.objects.create({ team, user }));
    expect(error).toMatchObject({ kind: "unique", constraint: "one_membership", model: "Member" });
    expect([...error.fields].sort()).toEqual(["team", "user"]);
  });

  test("a check constraint: kind check and its name", async () => {
    const error = await integrityError(() => Member.objects.update({ score: -1 }));
    expect(error).toMatchObject({ kind: "check", constraint: "score_not_negative", fields: ["score"] });
  });

  test("a foreign key to no row: kind foreignKey, and the field where the database names it", async () => {
    const user = await User.objects.create({ username: "dan", email: "dan@example.com" });
    const error = await integrityError(() => Member.objects.create({ team: 999_999, user }));
    expect(error.kind).toBe("foreignKey");
    // SQLite's message names no constraint or column.
    if (dialect !== "sqlite") expect(error).toMatchObject({ model: "Member", fields: ["team"] });
  });

  test("a RESTRICT foreign key blocking a delete: kind foreignKey, the referencing model where the database names it", async () => {
    const team = await Team.objects.create({ name: "Blue" });
    const user = await User.objects.create({ username: "eve", email: "eve@example.com" });
    await Member.objects.create({ team, user });
    const error = await integrityError(() => team.delete());
    expect(error.kind).toBe("foreignKey");
    if (dialect !== "sqlite") expect(error.model).toBe("Member");
  });

  test("NOT NULL from raw SQL: kind notNull and the column", async () => {
    const error = await integrityError(() => database.execute(orm.sql`INSERT INTO team (name) VALUES (${null})`));
    expect(error).toMatchObject({ kind: "notNull", columns: ["name"] });
  });
});
