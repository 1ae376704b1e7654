import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Database } from "../lib/index.js";
import { compareCatalogs, readCatalog, type CatalogDifference } from "../lib/schema/index.js";
import { CHINOOK, loadChinookWithPlainSql } from "./helpers/chinook.js";
import { describeEachDialect, placeFor } from "./helpers/databases.js";
import { runProcess, TempProject } from "./helpers/project.js";

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TSC = join(REPOSITORY, "node_modules/typescript/bin/tsc");
const TSX = join(REPOSITORY, "node_modules/tsx/dist/cli.mjs");

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    noEmit: true,
    skipLibCheck: true,
    typeRoots: [join(REPOSITORY, "node_modules/@types")],
    types: ["node"],
  },
  files: ["models.ts", "check.ts"],
};

/** What a user asks of the generated models: counts, a three-hop filter, selectRelated, prefetchRelated. */
const CHECK = `import { database, Album, Artist, Customer, Employee, Genre, Invoice, InvoiceLine, MediaType, Playlist, PlaylistTrack, Track } from "./models.js";

const counts = {
  Album: await Album.objects.count(),
  Artist: await Artist.objects.count(),
  Customer: await Customer.objects.count(),
  Employee: await Employee.objects.count(),
  Genre: await Genre.objects.count(),
  Invoice: await Invoice.objects.count(),
  InvoiceLine: await InvoiceLine.objects.count(),
  MediaType: await MediaType.objects.count(),
  Playlist: await Playlist.objects.count(),
  PlaylistTrack: await PlaylistTrack.objects.count(),
  Track: await Track.objects.count(),
};
const acdcLines = await InvoiceLine.objects.filter({ track__album__artist__name: "AC/DC" }).count();
const track = await Track.objects.selectRelated("album__artist", "genre").get({ trackId: 1 });
const joined = { name: track.name, album: track.album?.title ?? null, artist: track.album?.artist.name ?? null, genre: track.genre?.name ?? null, price: track.unitPrice };
let statements = 0;
database.on("query", () => statements++);
const albums = await Album.objects.prefetchRelated("tracks").filter({ albumId__in: [1, 4] }).orderBy("albumId");
const prefetched = [];
for (const album of albums) prefetched.push({ title: album.title, tracks: (await album.tracks.all()).map((t) => t.name).sort() });
const prefetchStatements = statements;
const employee = await Employee.objects.selectRelated("reportsTo").get({ employeeId: 2 });
console.log(JSON.stringify({ counts, acdcLines, joined, prefetched, prefetchStatements, boss: employee.reportsTo?.lastName ?? null }));
await database.disconnect();
`;

const rows = (table: string) => CHINOOK[table]!.rows;
const column = (table: string, name: string) => CHINOOK[table]!.columns.indexOf(name);

/** What the Chinook data says the answers are. */
function expectedAnswers() {
  const acdc = rows("Artist").find((row) => row[1] === "AC/DC")![0];
  const acdcAlbums = new Set(rows("Album").filter((row) => row[2] === acdc).map((row) => row[0]));
  const acdcTracks = new Set(rows("Track").filter((row) => acdcAlbums.has(row[column("Track", "AlbumId")])).map((row) => row[0]));
  const trackNames = (albumId: number) =>
    rows("Track").filter((row) => row[column("Track", "AlbumId")] === albumId).map((row) => String(row[1])).sort();
  const album = (albumId: number) => String(rows("Album").find((row) => row[0] === albumId)![1]);
  return {
    counts: Object.fromEntries(Object.entries(CHINOOK).map(([table, data]) => [table, data.rows.length])),
    acdcLines: rows("InvoiceLine").filter((row) => acdcTracks.has(row[column("InvoiceLine", "TrackId")])).length,
    joined: { name: "For Those About To Rock (We Salute You)", album: album(1), artist: "AC/DC", genre: "Rock", price: "0.99" },
    prefetched: [1, 4].map((albumId) => ({ title: album(albumId), tracks: trackNames(albumId) })),
    prefetchStatements: 2,
    boss: "Adams",
  };
}

/**
 * The differences README's inspectdb section lists between Chinook as its scripts make it and createAll() of the
 * models inspectdb writes for it. Anything else is a failure.
 */
const LISTED: readonly ((difference: CatalogDifference) => boolean)[] = [
  // ON DELETE NO ACTION becomes RESTRICT (quarry has no NO ACTION; they differ only for deferred checks).
  (d) => d.kind === "foreign key" && /on delete (NO ACTION|RESTRICT) (is missing|was added)$/.test(d.description),
  // quarry's DateTime: TEXT on SQLite, TIMESTAMP(3) WITH TIME ZONE on PostgreSQL, DATETIME(3) on MariaDB.
  (d) => d.kind === "column" && d.change === "changed" && /(BirthDate|HireDate|InvoiceDate): type timestamp expected, found (text|timestamptz\(3\)|timestamp\(3\))$/.test(d.description),
  // PlaylistTrack's composite key (PlaylistId, TrackId): PlaylistId alone stands for it, a generated key, and no foreign key.
  (d) => d.table === "PlaylistTrack" && /primary key|PlaylistId|foreign key .*\(PlaylistId\)/.test(d.description),
  // MariaDB: Chinook's own IFK_ indexes on foreign keys; InnoDB's index for the key takes their place.
  (d) => d.kind === "index" && d.change === "missing" && /IFK_/.test(d.description),
];

describeEachDialect("inspectdb on Chinook", ({ dialect, url }) => {
  const project = new TempProject();
  const empty = placeFor(dialect, "inspectdb empty");

  beforeAll(async () => {
    await loadChinookWithPlainSql(dialect, url);
    await empty.create();
    project.write("quarry.config.mjs", `export default { database: ${JSON.stringify(url)} };\n`);
  }, 120_000);
  afterAll(async () => {
    project.destroy();
    await empty.destroy();
  });

  test("writes models that type-check under tsc --strict and answer counts, a three-hop filter, selectRelated and prefetchRelated", async () => {
    const inspect = await project.run(["inspectdb", "--out", "models.ts"]);
    expect(inspect.stderr).toMatch(/Wrote models of 11 tables to .*models\.ts/);
    expect(inspect.code).toBe(0);
    const models = project.read("models.ts");
    expect(models).toMatch(/export class Track extends orm\.Model\.define\("Track", \{/);
    expect(models).toContain('unitPrice: orm.Decimal({ maxDigits: 10, decimalPlaces: 2, column: "UnitPrice" })');
    expect(models).toContain('album: orm.ForeignKey(Album, { onDelete: "RESTRICT", allowNull: true, column: "AlbumId" })');
    expect(models).toContain('reportsTo: orm.ForeignKey("self", { onDelete: "RESTRICT", allowNull: true, column: "ReportsTo" })');
    expect(models).toMatch(/\/\/ The primary key is \(PlaylistId, TrackId\)/);
    // Models after the models they reference: Artist, then Album, then Track, then InvoiceLine.
    const order = ["Artist", "Album", "Track", "InvoiceLine"].map((name) => models.indexOf(`export class ${name} `));
    expect(order).toEqual([...order].sort((a, b) => a - b));

    project.write("tsconfig.json", JSON.stringify(TSCONFIG)).write("check.ts", CHECK);
    const typecheck = await runProcess(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: project.root });
    expect(typecheck.stdout + typecheck.stderr).toBe("");
    expect(typecheck.code).toBe(0);

    const check = await runProcess(process.execPath, [TSX, "check.ts"], { cwd: project.root });
    expect(check.stderr).toBe("");
    expect(JSON.parse(check.stdout)).toEqual(expectedAnswers());
  }, 120_000);

  test("createAll() of the generated models gives Chinook's catalog but for the differences README lists", async () => {
    project.write("create.ts", `import { database } from "./models.js";\nawait database.createAll();\nawait database.disconnect();\n`);
    const created = await runProcess(process.execPath, [TSX, "create.ts"], { cwd: project.root, env: { QUARRY_DATABASE_URL: empty.url } });
    expect(created.stderr).toBe("");
    const original = new Database(url);
    const recreated = new Database(empty.url);
    try {
      const differences = compareCatalogs(await readCatalog(original), await readCatalog(recreated));
      expect(differences.filter((difference) => !LISTED.some((listed) => listed(difference)))).toEqual([]);
      expect(differences.length).toBeGreaterThan(0);
    } finally {
      await original.disconnect();
      await recreated.disconnect();
    }
  }, 60_000);
});
