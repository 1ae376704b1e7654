// A model through three changes with the quarry command: makemigrations, migrate, then back to zero.
// Run with `npm run build && npx tsx playground/migrations.ts` (DATABASE_URL picks the database; default SQLite).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repository = resolve(import.meta.dirname, "..");
const project = mkdtempSync(join(tmpdir(), "quarry-playground-"));
mkdirSync(join(project, "node_modules"));
symlinkSync(repository, join(project, "node_modules/quarry"), "dir");
writeFileSync(join(project, "package.json"), `{ "type": "module" }\n`);
writeFileSync(join(project, "quarry.config.ts"), `import { database } from "./models.ts";\nexport default { database, models: ["./models.ts"] };\n`);

const versions = [
  `{ title: orm.String({ maxLength: 100 }) }`,
  `{ title: orm.String({ maxLength: 100 }), plays: orm.Integer({ default: 0 }) }`,
  `{ name: orm.String({ maxLength: 100 }), plays: orm.Integer({ default: 0 }) }`,
  `{ name: orm.String({ maxLength: 200, index: true }), plays: orm.Integer({ default: 0 }) }`,
];
const quarry = (...args: string[]) =>
  execFileSync(process.execPath, [join(repository, "dist/quarry-bin.js"), ...args], { cwd: project, encoding: "utf8", env: { ...process.env, QUARRY_DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:///${project}/db.sqlite` } });

try {
  versions.forEach((fields, step) => {
    writeFileSync(
      join(project, "models.ts"),
      `import * as orm from "quarry";\nexport const database = new orm.Database(process.env.QUARRY_DATABASE_URL!);\nexport const Track = orm.Model.define("Track", ${fields}, { database });\n`,
    );
    console.log(`--- models, version ${step + 1}: Track ${fields}`);
    process.stdout.write(quarry("makemigrations", ...(step === 2 ? ["--rename", "Track.title=name"] : [])));
    process.stdout.write(quarry("migrate"));
  });
  console.log("--- the last migration:");
  console.log(readFileSync(join(project, "migrations/0004_alter_track_name.ts"), "utf8"));
  console.log("--- its SQL here:");
  process.stdout.write(quarry("sqlmigrate", "0004"));
  process.stdout.write(quarry("showmigrations"));
  process.stdout.write(quarry("migrate", "zero"));
} finally {
  rmSync(project, { recursive: true, force: true });
}
