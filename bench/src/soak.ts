/**
 * npm run soak: a long run of mixed operations per database with a statement timeout set, a tenth of them
 * cancelled by AbortSignal, the process's memory sampled as it goes. It reports whether memory stayed flat and
 * whether the pool ended with every connection back (none leaked), and fails (exit 1) if either is not so.
 *
 *   npm run soak -- [--ops 1000000] [--db sqlite,postgresql,mysql] [--concurrency 32]
 *
 * Loads quarry's build (<repo>/dist, `npm run build` in the repository root), as the benchmarks do.
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { option } from "./cli.js";
import { ADMIN_DATABASE, DATA_DIR, dbConfig, type Dialect } from "./config.js";
import { QUARRY_DIST } from "./adapters/quarry.js";

type Orm = typeof import("../../lib/index.js");

const OPS = Number(option("ops", "1000000"));
const CONCURRENCY = Number(option("concurrency", "32"));
const DATABASES = option("db", "sqlite,postgresql,mysql").split(",") as Dialect[];
const STATEMENT_TIMEOUT_MS = 5_000;

interface Sample {
  done: number;
  rssMb: number;
  heapMb: number;
}

const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** A place of its own on the server: a schema (PostgreSQL), a database (MariaDB) or a file (SQLite). */
async function place(orm: Orm, dialect: Dialect): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `quarry_soak_${process.pid}`;
  const config = dbConfig(dialect);
  if (dialect === "sqlite") {
    mkdirSync(DATA_DIR, { recursive: true });
    const file = path.join(DATA_DIR, `${name}.sqlite`);
    const remove = async () => ["", "-wal", "-shm"].forEach((suffix) => rmSync(file + suffix, { force: true }));
    await remove();
    return { url: `sqlite:///${file}`, drop: remove };
  }
  const adminUrl = config.url.replace(/\/[^/]*$/, `/${ADMIN_DATABASE[dialect]}`);
  const admin = new orm.Database(adminUrl);
  const run = async (statement: string) => {
    await admin.execute(orm.raw(statement));
  };
  if (dialect === "postgresql") {
    await run(`CREATE SCHEMA IF NOT EXISTS ${name}`);
    return { url: `${adminUrl}?schema=${name}`, drop: async () => (await run(`DROP SCHEMA ${name} CASCADE`), await admin.disconnect()) };
  }
  await run(`CREATE DATABASE IF NOT EXISTS ${name}`);
  return { url: adminUrl.replace(/\/[^/]*$/, `/${name}`), drop: async () => (await run(`DROP DATABASE ${name}`), await admin.disconnect()) };
}

async function soak(orm: Orm, dialect: Dialect): Promise<boolean> {
  const where = await place(orm, dialect);
  const database = new orm.Database(where.url, { statementTimeoutMs: STATEMENT_TIMEOUT_MS, pool: { max: 10 } });
  const Item = orm.Model.define("SoakItem", { label: orm.String({ maxLength: 40 }), n: orm.Integer() }, { database, tablename: "soak_items" });
  await database.createAll();
  await Item.objects.bulkCreate(Array.from({ length: 1_000 }, (_, n) => ({ label: `seed ${n}`, n })));
  const slow = dialect === "postgresql" ? orm.sql`SELECT pg_sleep(0.2) AS s` : dialect === "mysql" ? orm.sql`SELECT SLEEP(0.2) AS s` : orm.sql`SELECT 1 AS s`;
  /** late: the statement finished first (the cancel reached the server before the statement did, or after it ended). */
  const counts = { ok: 0, cancelled: 0, late: 0 };
  const samples: Sample[] = [];
  let next = 0;
  const sample = () => {
    collect();
    const memory = process.memoryUsage();
    samples.push({ done: next, rssMb: memory.rss / 2 ** 20, heapMb: memory.heapUsed / 2 ** 20 });
  };
  const operation = async (index: number) => {
    const kind = index % 10;
    const pk = 1 + (index % 1_000);
    switch (kind) {
      case 0: {
        // A tenth cancelled: a statement still running when its signal fires (before it starts on SQLite, which
        // runs a statement to its end in one call).
        const controller = new AbortController();
        if (dialect === "sqlite") controller.abort();
        else setTimeout(() => controller.abort(), 5);
        try {
          await database.query(slow, { signal: controller.signal });
          counts.late++;
        } catch (error) {
          if (error instanceof orm.QueryCancelledError) counts.cancelled++;
          else throw error;
        }
        return;
      }
      case 1:
      case 2:
      case 3:
        await Item.objects.get({ pk });
        break;
      case 4:
        await Item.objects.filter({ n__gte: index % 900 }).limit(20).all();
        break;
      case 5:
        await Item.objects.filter({ label__startswith: "seed 1" }).count();
        break;
      case 6:
        await Item.objects.filter({ pk }).update({ n: index % 1_000 });
        break;
      case 7: {
        const created = await Item.objects.create({ label: `made ${index}`, n: -1 });
        await created.delete();
        break;
      }
      case 8:
        await database.transaction(async () => {
          const item = await Item.objects.get({ pk });
          await item.update({ n: item.n });
        });
        break;
      case 9:
        await Item.objects.inBulk([pk, 1 + ((pk + 1) % 1_000), 1 + ((pk + 2) % 1_000)]);
        break;
    }
    counts.ok++;
  };
  const started = performance.now();
  sample();
  const step = Math.max(1, Math.floor(OPS / 20));
  const worker = async () => {
    while (next < OPS) {
      const index = next++;
      await operation(index);
      if (index % step === 0 && index > 0) {
        sample();
        process.stdout.write(`\r${dialect}: ${index.toLocaleString("en")} / ${OPS.toLocaleString("en")}   `);
      }
    }
  };
  let failure: unknown;
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } catch (error) {
    failure = error;
  }
  const seconds = (performance.now() - started) / 1000;
  sample();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const stats = database.poolStats();
  await database.disconnect();
  await where.drop();

  // Flat: the second half's samples (after warm-up) vary by little, and the last is not above the first of them.
  const settled = samples.slice(Math.floor(samples.length / 2));
  const rss = settled.map((s) => s.rssMb);
  const heap = settled.map((s) => s.heapMb);
  const growth = rss[rss.length - 1]! - rss[0]!;
  const flat = growth < 50 && Math.max(...heap) - Math.min(...heap) < 50;
  const leaked = stats.total - stats.idle;
  console.log(
    `\n${dialect}: ${OPS.toLocaleString("en")} ops in ${seconds.toFixed(0)} s (${Math.round(OPS / seconds)} ops/s), ${counts.ok} ok, ${counts.cancelled} cancelled by AbortSignal, ${counts.late} finished before their cancel took effect${failure ? `, FAILED: ${(failure as Error).message}` : ""}`,
  );
  console.log(`  RSS MB by progress: ${samples.map((s) => `${Math.round((100 * s.done) / OPS)}%:${s.rssMb.toFixed(0)}`).join(" ")}`);
  console.log(`  heap MB by progress: ${samples.map((s) => s.heapMb.toFixed(0)).join(" ")}`);
  console.log(`  second half: RSS ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB first to last; memory ${flat ? "flat" : "NOT flat"}`);
  console.log(`  pool at the end: ${stats.total} open, ${stats.idle} idle, ${stats.waiting} waiting: ${leaked} leaked connections`);
  return !failure && flat && leaked === 0 && stats.waiting === 0;
}

const orm = (await import(pathToFileURL(QUARRY_DIST).href)) as Orm;
console.log(`soak: ${OPS.toLocaleString("en")} ops per database, ${CONCURRENCY} at a time, statementTimeoutMs ${STATEMENT_TIMEOUT_MS}, a tenth cancelled by AbortSignal`);
let healthy = true;
for (const dialect of DATABASES) healthy = (await soak(orm, dialect)) && healthy;
process.exitCode = healthy ? 0 : 1;
