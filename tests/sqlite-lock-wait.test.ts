import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { DIALECTS } from "./helpers/databases.js";
import { rejectionOf } from "./helpers/concurrency.js";

/** Another process that takes the file's write lock (BEGIN IMMEDIATE) and holds it until told to commit. */
function lockHolder(file: string) {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1]);
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT INTO lock_entries (label) VALUES ('other process')").run();
    process.stdout.write("locked\\n");
    process.stdin.once("data", () => { db.exec("COMMIT"); db.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ["-e", script, file], { stdio: ["pipe", "pipe", "inherit"], cwd: process.cwd() });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { locked, release: () => child.stdin.write("commit\n"), exited };
}

if (DIALECTS.includes("sqlite")) {
  describe("SQLite waits for another process's lock without blocking the event loop [sqlite]", () => {
    test("a timer and an HTTP server in this process keep answering while a write waits; the write then goes through", async () => {
      const file = join(tmpdir(), `quarry-lockwait-${process.pid}.sqlite`);
      const database = new orm.Database(`sqlite:///${file}`);
      const server = createServer((_, response) => response.end("ok"));
      try {
        await database.execute(orm.sql`CREATE TABLE lock_entries (id INTEGER PRIMARY KEY, label TEXT)`);
        const holder = lockHolder(file);
        await holder.locked;
        let ticks = 0;
        const ticker = setInterval(() => ticks++, 10);
        let written = false;
        const write = database.execute(orm.sql`INSERT INTO lock_entries (label) VALUES ('this process')`).then(() => (written = true));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as { port: number };
        // While the write waits for the lock, this process still answers.
        const answers = [];
        for (let n = 0; n < 5; n++) answers.push(await (await fetch(`http://127.0.0.1:${port}/`)).text());
        expect(answers).toEqual(["ok", "ok", "ok", "ok", "ok"]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(ticks).toBeGreaterThan(5);
        expect(written).toBe(false);
        holder.release();
        await write;
        clearInterval(ticker);
        await holder.exited;
        expect(await database.query(orm.sql`SELECT label FROM lock_entries ORDER BY id`)).toEqual([{ label: "other process" }, { label: "this process" }]);
        // Held past busy_timeout: a retryable LockTimeoutError, the event loop free meanwhile too.
        const impatient = new orm.Database(`sqlite:///${file}?busy_timeout=300`);
        const again = lockHolder(file);
        await again.locked;
        ticks = 0;
        const ticking = setInterval(() => ticks++, 10);
        const error = await rejectionOf(() => impatient.transaction(() => impatient.execute(orm.sql`INSERT INTO lock_entries (label) VALUES ('late')`)));
        clearInterval(ticking);
        expect(error).toBeInstanceOf(orm.LockTimeoutError);
        expect((error as orm.TransactionError).retryable).toBe(true);
        expect(ticks).toBeGreaterThan(5);
        again.release();
        await again.exited;
        await impatient.disconnect();
      } finally {
        server.close();
        await database.disconnect();
        for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
      }
    }, 60_000);
  });
}
