/**
 * npm run sqlite-lock-wait: what each way of waiting for another process's SQLite lock without blocking the
 * event loop costs a statement when there is no lock to wait for (the common case): quarry's (the statement on
 * the main thread, SQLITE_BUSY retried asynchronously) against the database on a worker thread (every
 * statement a message round trip). Point lookups by primary key, µs per statement.
 *
 *   npm run sqlite-lock-wait -- [--ops 20000]
 */
import Database from "better-sqlite3";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { option } from "./cli.js";
import { DATA_DIR } from "./config.js";

const OPS = Number(option("ops", "20000"));
mkdirSync(DATA_DIR, { recursive: true });
const file = path.join(DATA_DIR, `lock-wait-${process.pid}.sqlite`);
const setup = new Database(file);
setup.pragma("journal_mode = WAL");
setup.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, label TEXT)");
const insert = setup.prepare("INSERT INTO item (label) VALUES (?)");
setup.transaction(() => {
  for (let n = 0; n < 1_000; n++) insert.run(`item ${n}`);
})();
setup.close();

const SELECT = "SELECT id, label FROM item WHERE id = ?";

async function onMainThread(): Promise<number> {
  const db = new Database(file, { timeout: 0 });
  const statement = db.prepare(SELECT);
  const started = performance.now();
  for (let n = 0; n < OPS; n++) {
    // As quarry runs it: synchronously, in an async function whose caller awaits it.
    await (async () => statement.get(1 + (n % 1_000)))();
  }
  const elapsed = performance.now() - started;
  db.close();
  return (elapsed * 1000) / OPS;
}

async function onWorker(): Promise<number> {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const Database = require(workerData.module);
     const db = new Database(workerData.file);
     const statement = db.prepare(workerData.sql);
     parentPort.on("message", ({ id, key }) => parentPort.postMessage({ id, row: statement.get(key) }));`,
    { eval: true, workerData: { file, sql: SELECT, module: require.resolve("better-sqlite3") } },
  );
  const pending = new Map<number, (row: unknown) => void>();
  worker.on("message", ({ id, row }: { id: number; row: unknown }) => pending.get(id)!(row));
  const call = (id: number, key: number) => new Promise((resolve) => (pending.set(id, resolve), worker.postMessage({ id, key })));
  await call(-1, 1);
  const started = performance.now();
  for (let n = 0; n < OPS; n++) await call(n, 1 + (n % 1_000));
  const elapsed = performance.now() - started;
  await worker.terminate();
  return (elapsed * 1000) / OPS;
}

const require = (await import("node:module")).createRequire(import.meta.url);
const main = [await onMainThread(), await onMainThread()];
const worker = [await onWorker(), await onWorker()];
rmSync(file, { force: true });
for (const suffix of ["-wal", "-shm"]) rmSync(file + suffix, { force: true });
console.log(`${OPS} point lookups, two runs each (µs per statement, wall clock):`);
console.log(`  main thread, busy retried asynchronously (quarry): ${main.map((us) => us.toFixed(1)).join(", ")}`);
console.log(`  database on a worker thread, a message round trip each: ${worker.map((us) => us.toFixed(1)).join(", ")}`);
