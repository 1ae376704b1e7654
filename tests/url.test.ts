import { inspect } from "node:util";
import { describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { errorOf } from "./helpers/fixtures.js";

describe("database URLs", () => {
  test.each([
    ["sqlite:///relative/db.sqlite", "sqlite", "relative/db.sqlite"],
    ["sqlite:////abs/path/db.sqlite", "sqlite", "/abs/path/db.sqlite"],
    ["sqlite::memory:", "sqlite", ":memory:"],
    ["sqlite:///:memory:", "sqlite", ":memory:"],
  ] as const)("%s is SQLite on %s", (text, dialect, filename) => {
    const url = new orm.DatabaseURL(text);
    expect(url.dialect).toBe(dialect);
    expect(url.filename).toBe(filename);
  });

  test.each([
    ["postgres://u:p@db.example:6543/app", "postgresql", 6543],
    ["postgresql://u:p@db.example:6543/app", "postgresql", 6543],
    ["mysql://u:p@db.example:3307/app", "mysql", 3307],
    ["mariadb://u:p@db.example:3307/app", "mysql", 3307],
  ] as const)("%s is %s", (text, dialect, port) => {
    const url = new orm.DatabaseURL(text);
    expect(url).toMatchObject({ dialect, host: "db.example", port, user: "u", database: "app" });
    expect(url.password).toBe("p");
    expect(new orm.Database(text).url.dialect).toBe(dialect);
  });

  test("host and port default when left out", () => {
    const url = new orm.DatabaseURL("postgresql://localhost/app");
    expect(url.port).toBeUndefined();
    expect(url.address).toBe("localhost:5432");
    expect(new orm.DatabaseURL("mysql://root@db/app").address).toBe("db:3306");
  });

  test("query parameters are kept: ?pool_max=", () => {
    const url = new orm.DatabaseURL("postgresql://u@h/db?pool_max=3&schema=s1");
    expect(url.params).toEqual({ pool_max: "3", schema: "s1" });
    expect(new orm.DatabaseURL("sqlite:///x.db?pool_max=2").params).toEqual({ pool_max: "2" });
  });

  test("user and password are percent-decoded", () => {
    const url = new orm.DatabaseURL("postgresql://us%40er:p%40ss%3Aw@h/db");
    expect(url.user).toBe("us@er");
    expect(url.password).toBe("p@ss:w");
  });

  test.each(["", "nonsense", "oracle://u@h/db", "sqlite:/x.db", "sqlite://", "postgresql://u:pw@h:99x/db", "http//broken"])(
    "%j is a ConnectionError",
    async (text) => {
      const error = await errorOf(() => new orm.Database(text));
      expect(error).toBeInstanceOf(orm.ConnectionError);
      expect(error).toBeInstanceOf(orm.OrmError);
    },
  );

  describe("a password never shows", () => {
    const secret = "s3cr3t-P4ss";
    test.each([`postgresql://admin:${secret}@127.0.0.1:5432/test`, `mysql://admin:${secret}@127.0.0.1:3306/test`])("%s", (text) => {
      const database = new orm.Database(text);
      for (const printed of [
        String(database.url),
        inspect(database.url),
        JSON.stringify(database.url),
        inspect(database),
        inspect(database, { showHidden: true, depth: 5 }),
        JSON.stringify(database),
      ]) {
        expect(printed).not.toContain(secret);
      }
      expect(String(database.url)).toContain("admin:***@");
    });

    test("nor in the error for a URL that cannot be parsed", async () => {
      for (const text of [`postgresql://admin:${secret}@bad host:5432/db`, `postgresql://admin:${secret}@h:port/db`, `oracle://admin:${secret}@h/db`]) {
        const error = await errorOf(() => new orm.Database(text));
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect(error.message).not.toContain(secret);
        expect(inspect(error)).not.toContain(secret);
      }
    });
  });
});

describe("malformed URLs never print the password", () => {
  test.each([
    "postgresql://u:my Secret2@127.0.0.1:notaport/db",
    "postgresql://u:my\tSecret2@127.0.0.1/db",
    "mysql://u:my\nSecret2@127.0.0.1:3306/db",
    "mysql://u:mySecret2@127.0.0.1:99999999/db",
    "postgresql://u:my%ZZSecret2@127.0.0.1/db",
    "postgresql://u:mySecret2%@127.0.0.1/db",
    "postgresql://u%ZZ:mySecret2@127.0.0.1/db",
    "mysql://u:mySecret2@127.0.0.1/d%E0%A4%A",
    "postgresql://u:my@Secret2@[::1/db",
    "sqlite:///tmp/%ZZ.db",
    // Without "//" the whole rest would read as a path: the password as part of a database name.
    "postgresql:u:mySecret2@db.example/shop",
    "mysql:u:mySecret2@db.example/shop",
    // Without "@" the password reads as a port that is no number.
    "postgresql://u:mySecret2/shop",
    "mysql://u:mySecret2,h2:3306/shop",
  ])("%j: a ConnectionError without the secret", async (text) => {
    const error = await errorOf(() => new orm.Database(text));
    expect(error).toBeInstanceOf(orm.ConnectionError);
    for (const shown of [error.message, inspect(error), String(error.stack)]) {
      expect(shown).not.toMatch(/Secret2/);
    }
  });
});

test("a malformed URL's message keeps an IPv6 host's own colons and hides only what may be a password", async () => {
  const error = await errorOf(() => new orm.Database("postgresql://[::1]:5432/d%ZZ"));
  expect(error.message).toContain("postgresql://[::1]:5432/d%ZZ");
  const noAt = await errorOf(() => new orm.Database("postgresql://[::1]:mySecret2,h2:5/db"));
  expect(noAt.message).toContain("[::1]:***");
  expect(noAt.message).not.toContain("mySecret2");
});

describe("parameters only some databases read are refused elsewhere, naming the parameter", () => {
  test.each([
    ["mysql://root@127.0.0.1/test?schema=app", "schema"],
    ["sqlite:///x.db?schema=app", "schema"],
    ["mysql://root@127.0.0.1/test?pgbouncer=true", "pgbouncer"],
    ["sqlite:///x.db?pgbouncer=true", "pgbouncer"],
    ["mysql://root@127.0.0.1/test?sslmode=require", "sslmode"],
    ["sqlite:///x.db?target_session_attrs=read-write", "target_session_attrs"],
    ["postgresql://postgres@127.0.0.1/test?busy_timeout=100", "busy_timeout"],
  ])("%s", async (text, parameter) => {
    const error = await errorOf(() => new orm.Database(text));
    expect(error).toBeInstanceOf(orm.ConnectionError);
    expect(error.message).toContain(`${parameter} is for`);
  });

  test("and kept where they are read", () => {
    expect(new orm.DatabaseURL("postgresql://db/x?schema=app&pgbouncer=false&sslmode=disable&target_session_attrs=any").params.schema).toBe("app");
    expect(new orm.DatabaseURL("mysql://db/x?target_session_attrs=read-write").params.target_session_attrs).toBe("read-write");
    expect(new orm.DatabaseURL("sqlite:///x.db?busy_timeout=10").params.busy_timeout).toBe("10");
  });
});
