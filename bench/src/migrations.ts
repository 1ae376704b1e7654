// makemigrations over 100 models, and migrate of their 100 CreateModel operations, on each database, through the
// quarry command as a user runs it (a real process in a temp project). Baselines measured in the same run: the
// command's start-up (`quarry config`, which loads the config and the 100 models) and the migration's own DDL
// (from `quarry sqlmigrate`) sent as plain statements on one connection.
//   npm run build --prefix .. && node --import tsx src/migrations.ts [--db sqlite,postgresql,mysql] [--rounds 3]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as orm from "../../dist/index.js";
import { FlagQuestioner, makeMigrations } from "../../dist/migrations.js";

const { Database, raw } = orm;

const { values } = parseArgs({ options: { db: { type: "string", default: "sqlite,postgresql,mysql" }, rounds: { type: "string", default: "3" } } });
const repository = resolve(import.meta.dirname, "../..");
const SERVERS: Record<string, string> = {
  postgresql: process.env.QUARRY_BENCH_POSTGRESQL_URL ?? "postgresql://postgres@127.0.0.1:5432/test",
  mysql: process.env.QUARRY_BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test",
};

const MODELS = Array.from({ length: 100 }, (_, index) => {
  const reference = index > 0 ? `, parent: orm.ForeignKey("Model${index - 1}", { allowNull: true })` : "";
  return `export const Model${index} = orm.Model.define("Model${index}", { name: orm.String({ maxLength: 80 }), count: orm.Integer({ default: 0 }), note: orm.Text({ allowNull: true })${reference} }, { database });`;
}).join("\n");

function project(): string {
  const root = mkdtempSync(join(tmpdir(), "quarry-bench-migrations-"));
  mkdirSync(join(root, "node_modules"));
  symlinkSync(repository, join(root, "node_modules/quarry"), "dir");
  writeFileSync(join(root, "package.json"), `{ "type": "module" }\n`);
  writeFileSync(join(root, "quarry.config.ts"), `import { database } from "./models.ts";\nexport default { database, models: ["./models.ts"] };\n`);
  writeFileSync(join(root, "models.ts"), `import * as orm from "quarry";\nexport const database = new orm.Database(process.env.QUARRY_DATABASE_URL!);\n${MODELS}\n`);
  return root;
}

function timed(root: string, url: string, ...args: string[]): { ms: number; stdout: string } {
  const started = performance.now();
  const stdout = execFileSync(process.execPath, [join(repository, "dist/quarry-bin.js"), ...args], { cwd: root, encoding: "utf8", env: { ...process.env, QUARRY_DATABASE_URL: url } });
  return { ms: performance.now() - started, stdout };
}

/** A fresh place per round: a file, a schema, a database. */
async function place(dialect: string, round: number): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `q_bench_mig_${process.pid}_${round}`;
  if (dialect === "sqlite") {
    const file = join(tmpdir(), `${name}.sqlite`);
    return { url: `sqlite:///${file}`, drop: async () => rmSync(file, { force: true }) };
  }
  const admin = new Database(SERVERS[dialect]!);
  const create = dialect === "postgresql" ? `CREATE SCHEMA "${name}"` : `CREATE DATABASE \`${name}\``;
  const drop = dialect === "postgresql" ? `DROP SCHEMA IF EXISTS "${name}" CASCADE` : `DROP DATABASE IF EXISTS \`${name}\``;
  await admin.execute(raw(create));
  await admin.disconnect();
  const url = dialect === "postgresql" ? `${SERVERS.postgresql}?schema=${name}` : SERVERS.mysql!.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const again = new Database(SERVERS[dialect]!);
      await again.execute(raw(drop));
      await again.disconnect();
    },
  };
}

/** makemigrations' own work in this process, without node's and the loader's start-up: the models defined, the diff, the file. */
async function inProcess(): Promise<number> {
  const folder = mkdtempSync(join(tmpdir(), "quarry-bench-inprocess-"));
  const started = performance.now();
  const database = new Database("sqlite::memory:");
  new Function("orm", "database", MODELS.replace(/export const /g, "const "))(orm, database);
  await makeMigrations({ folder, models: database.models, questioner: new FlagQuestioner(new Map()), extension: "ts" });
  const elapsed = performance.now() - started;
  rmSync(folder, { recursive: true, force: true });
  return elapsed;
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const rows: string[] = [];
for (const dialect of values.db!.split(",")) {
  const samples = { startup: [] as number[], makemigrations: [] as number[], migrate: [] as number[], statements: [] as number[], inProcess: [] as number[] };
  for (let round = 0; round < Number(values.rounds); round++) {
    const root = project();
    const target = await place(dialect, round);
    try {
      samples.inProcess.push(await inProcess());
      samples.startup.push(timed(root, target.url, "config").ms);
      samples.makemigrations.push(timed(root, target.url, "makemigrations").ms);
      const ddl = timed(root, target.url, "sqlmigrate", "0001").stdout.split(";\n").filter((text) => text.trim() !== "");
      samples.migrate.push(timed(root, target.url, "migrate").ms);
      // The same DDL again, as plain statements on one connection, in a place of its own.
      const baseline = await place(dialect, round + 1000);
      const database = new Database(baseline.url, { pool: { max: 1 } });
      const started = performance.now();
      for (const statement of ddl) await database.execute(raw(statement));
      samples.statements.push(performance.now() - started);
      await database.disconnect();
      await baseline.drop();
    } finally {
      await target.drop();
      rmSync(root, { recursive: true, force: true });
    }
  }
  const [startup, make, migrate, statements, own] = [samples.startup, samples.makemigrations, samples.migrate, samples.statements, samples.inProcess].map(median) as [number, number, number, number, number];
  rows.push(
    `| ${dialect} | ${Math.round(own)} ms | ${Math.round(make)} ms | ${Math.round(migrate)} ms | ${Math.round(startup)} ms | ${Math.round(statements)} ms | ${(make / startup).toFixed(2)}x | ${((migrate - startup) / statements).toFixed(2)}x |`,
  );
}
console.log(`Medians of ${values.rounds} rounds, 100 models (three fields and a foreign key each), whole processes:\n`);
console.log("| database | makemigrations in process | makemigrations | migrate (100 CreateModel) | start-up (`quarry config`) | the DDL as plain statements | makemigrations / start-up | (migrate - start-up) / plain DDL |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
console.log(rows.join("\n"));
