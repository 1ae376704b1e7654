import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { Database, raw, type DatabaseOptions, type DialectName, type QueryEvent } from "../../lib/index.js";

/**
 * Every dialect-dependent test runs on SQLite, PostgreSQL and MariaDB. QUARRY_TEST_DIALECTS narrows the
 * list on purpose ("sqlite" on a laptop without servers); an unreachable server is a failed test, never a skip.
 */
export const DIALECTS: readonly DialectName[] = (process.env.QUARRY_TEST_DIALECTS ?? "sqlite,postgresql,mysql")
  .split(",")
  .map((name) => name.trim())
  .filter(Boolean) as DialectName[];

export const SERVER_URLS = {
  postgresql: process.env.QUARRY_TEST_POSTGRESQL_URL ?? "postgresql://postgres@127.0.0.1:5432/test",
  mysql: process.env.QUARRY_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test",
};

export interface TestDatabase {
  readonly dialect: DialectName;
  /** The database under test; open before each test of the block, disconnected after the last. */
  readonly database: Database;
  readonly url: string;
  /** Statements sent while `fn` runs. */
  statementsDuring(fn: () => Promise<unknown>): Promise<QueryEvent[]>;
}

function uniqueName(tag: string): string {
  return `q_${tag.replace(/\W/g, "_").toLowerCase().slice(0, 20)}_${randomBytes(4).toString("hex")}`;
}

/** The URL of a fresh, empty place for one test block: a temp file, a PostgreSQL schema, a MariaDB database. */
export function placeFor(dialect: DialectName, tag: string): { url: string; create(): Promise<void>; destroy(): Promise<void> } {
  const name = uniqueName(tag);
  if (dialect === "sqlite") {
    const file = join(tmpdir(), `${name}.sqlite`);
    const remove = async () => ["", "-wal", "-shm"].forEach((suffix) => rmSync(file + suffix, { force: true }));
    return { url: `sqlite:///${file}`, create: remove, destroy: remove };
  }
  const base = SERVER_URLS[dialect];
  const admin = () => new Database(base);
  const run = async (statement: string) => {
    const database = admin();
    try {
      await database.execute(raw(statement));
    } finally {
      await database.disconnect();
    }
  };
  // Behind PgBouncer (npm run test:pgbouncer) a schema's search_path would not outlive a transaction: a database each.
  if (dialect === "postgresql" && process.env.QUARRY_TEST_POSTGRESQL_PLACE === "database") {
    return {
      url: base.replace(/\/[^/?]*(\?|$)/, `/${name}$1`),
      create: () => run(`CREATE DATABASE "${name}"`),
      destroy: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    };
  }
  if (dialect === "postgresql") {
    return {
      url: `${base}${base.includes("?") ? "&" : "?"}schema=${name}`,
      create: () => run(`CREATE SCHEMA "${name}"`),
      destroy: () => run(`DROP SCHEMA IF EXISTS "${name}" CASCADE`),
    };
  }
  return {
    url: base.replace(/\/[^/?]*(\?|$)/, `/${name}$1`),
    create: () => run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`),
    destroy: () => run(`DROP DATABASE IF EXISTS \`${name}\``),
  };
}

/**
 * Declares `describe(title [dialect])` once per dialect, each with its own empty database; `body` defines
 * models on `target.database` and its tests. Tables are created by the body (usually `createAll()` in beforeAll).
 */
export function describeEachDialect(title: string, body: (target: TestDatabase) => void, options: DatabaseOptions = {}): void {
  for (const dialect of DIALECTS) {
    describe(`${title} [${dialect}]`, () => {
      const place = placeFor(dialect, title);
      const database = new Database(place.url, options);
      const target: TestDatabase = {
        dialect,
        database,
        url: place.url,
        async statementsDuring(fn) {
          const events: QueryEvent[] = [];
          const listener = (event: QueryEvent) => events.push(event);
          database.on("query", listener);
          try {
            await fn();
          } finally {
            database.off("query", listener);
          }
          return events;
        },
      };
      beforeAll(async () => {
        await place.create();
        await database.connect();
      });
      afterAll(async () => {
        await database.disconnect();
        await place.destroy();
      });
      body(target);
    });
  }
}
