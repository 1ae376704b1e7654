import { context, metrics, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type HistogramMetricData } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { AddressInfo } from "node:net";
import express from "express";
import { beforeAll, beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { atomicRequests } from "../lib/express/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const measured = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: measured, exportIntervalMillis: 3_600_000 });
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

/** This file's name, as call sites in reports show it. */
const THIS_FILE = "observability.test.ts";

describeEachDialect("observability", (target) => {
  const { database } = target;
  const reports: orm.NPlusOneReport[] = [];
  const warnings: string[] = [];
  // A second handle on the same place, configured the way each test needs.
  const watched = (options: orm.DatabaseOptions) => new orm.Database(target.url, { logger: { warn: (message) => warnings.push(message) }, ...options });

  class Artist extends orm.Model.define("ObsArtist", { name: orm.String({ maxLength: 120 }) }, { database, tablename: "obs_artist" }) {
    declare static objects: orm.Manager<Artist>;
    declare albums: orm.RelatedManager<Album>;
  }
  class Album extends orm.Model.define(
    "ObsAlbum",
    { title: orm.String({ maxLength: 160 }), artist: orm.ForeignKey(Artist, { relatedName: "albums" }) },
    { database, tablename: "obs_album" },
  ) {
    declare static objects: orm.Manager<Album>;
  }

  beforeAll(async () => {
    await database.createAll();
    const artists = await Artist.objects.bulkCreate(Array.from({ length: 25 }, (_, index) => ({ name: `Artist ${index}` })));
    await Album.objects.bulkCreate(artists.flatMap((artist) => [{ title: `${artist.name} I`, artist }, { title: `${artist.name} II`, artist }]));
  });
  beforeEach(() => {
    reports.length = 0;
    warnings.length = 0;
    spans.reset();
  });

  /** The models again, on `db` (a model belongs to one database). */
  function modelsOn(db: orm.Database, tag: string) {
    const A = orm.Model.define(`${tag}Artist`, { name: orm.String({ maxLength: 120 }) }, { database: db, tablename: "obs_artist" });
    const B = orm.Model.define(`${tag}Album`, { title: orm.String({ maxLength: 160 }), artist: orm.ForeignKey(A, { relatedName: "albums" }) }, { database: db, tablename: "obs_album" });
    return { Artist: A, Album: B };
  }

  test("every statement quarry writes says its model, table and operation; raw SQL says nothing", async () => {
    const events = await target.statementsDuring(async () => {
      const artist = await Artist.objects.create({ name: "AC/DC" });
      await Album.objects.bulkCreate([{ title: "A", artist }, { title: "B", artist }]);
      const [album] = await Album.objects.filter({ title: "A" }).all();
      await album!.artist.load();
      await Album.objects.filter({ title: "B" }).update({ title: "C" });
      await Album.objects.filter({ title: "A" }).count();
      await Album.objects.filter({ title__in: ["A", "C"] }).delete();
      await artist.delete();
      await database.query(orm.sql`SELECT 1 AS one`);
    });
    // MariaDB asks once for the step between generated keys (a server setting): not a model's statement. SQLite
    // reads the table's largest key before a bulk insert whose keys it works out from the last one (persist.ts).
    const described = events
      .filter((event) => !event.sql.includes("auto_increment_increment") && !event.sql.startsWith("SELECT COALESCE(MAX("))
      .map((event) => event.about && [event.about.operation, event.about.model, event.about.table, event.about.batchSize]);
    expect(described).toEqual([
      ["INSERT", "ObsArtist", "obs_artist", undefined],
      ["INSERT", "ObsAlbum", "obs_album", 2],
      ["SELECT", "ObsAlbum", "obs_album", undefined],
      ["SELECT", "ObsArtist", "obs_artist", 1],
      ["UPDATE", "ObsAlbum", "obs_album", undefined],
      ["SELECT", "ObsAlbum", "obs_album", undefined],
      ["DELETE", "ObsAlbum", "obs_album", undefined],
      ["DELETE", "ObsArtist", "obs_artist", undefined],
      undefined,
    ]);
  });

  test("50 sequential load()s in a scope are reported once, naming selectRelated and the caller's line", async () => {
    const albums = await Album.objects.orderBy("id").all();
    await database.scope(
      async () => {
        for (const album of albums) await album.artist.load();
      },
      { nPlusOne: { mode: (report) => reports.push(report) } },
    );
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report).toMatchObject({ kind: "load", model: "ObsAlbum", relation: "artist", count: 50 });
    expect(report!.fix).toContain('ObsAlbum.objects.selectRelated("artist")');
    expect(report!.callSite).toContain(THIS_FILE);
    expect(report!.message).toContain(report!.callSite);
  });

  test("loads batched by Promise.all, one-off loads and a safelisted relation are not reported", async () => {
    const albums = await Album.objects.all();
    await database.scope(
      async () => {
        await Promise.all(albums.map((album) => album.artist.load()));
        await albums[0]!.artist.load();
        await albums[1]!.artist.load();
      },
      { nPlusOne: { mode: (report) => reports.push(report) } },
    );
    await database.scope(
      async () => {
        for (const album of albums) await album.artist.load();
      },
      { nPlusOne: { mode: (report) => reports.push(report), safelist: ["ObsAlbum.artist"] } },
    );
    expect(reports).toEqual([]);
  });

  test("throw mode stops the repetition with an error naming the fix", async () => {
    const albums = await Album.objects.all();
    const error = await errorOf(() =>
      database.scope(
        async () => {
          for (const album of albums) await album.artist.load();
        },
        { nPlusOne: { mode: "throw", threshold: 5 } },
      ),
    );
    expect(error).toBeInstanceOf(orm.NPlusOneError);
    expect(error).toBeInstanceOf(orm.OrmError);
    expect(error.message).toContain('selectRelated("artist")');
    expect((error as orm.NPlusOneError).report.count).toBe(5);
  });

  test("a reverse manager read per row names prefetchRelated; a get() per row names inBulk; rows created in the scope do not count", async () => {
    const artists = await Artist.objects.all();
    await database.scope(
      async () => {
        for (const artist of artists) await artist.albums.all();
        for (const artist of artists) await Artist.objects.get({ pk: artist.pk });
        for (let index = 0; index < 5; index++) {
          const fresh = await Artist.objects.create({ name: `New ${index}` });
          await fresh.albums.count();
          await fresh.delete();
        }
      },
      { nPlusOne: { mode: (report) => reports.push(report) } },
    );
    expect(reports.map((report) => [report.kind, report.relation, report.count, report.fix])).toEqual([
      ["reverse", "albums", 25, 'ObsArtist.objects.prefetchRelated("albums")'],
      ["get", "pk", 25, "ObsArtist.objects.inBulk([...keys])"],
    ]);
    expect(reports.every((report) => report.callSite?.includes(THIS_FILE))).toBe(true);
  });

  test("a prefetchRelated whose rows nothing read is reported when the scope ends; a read one is not", async () => {
    await database.scope(
      async () => {
        await Artist.objects.prefetchRelated("albums").all();
        const [first] = await Artist.objects.filter({ name: "Artist 1" }).prefetchRelated("albums").all();
        await first!.albums.all();
      },
      { nPlusOne: { mode: (report) => reports.push(report) } },
    );
    expect(reports.map((report) => [report.kind, report.relation, report.fix])).toEqual([["unused", "albums", 'remove prefetchRelated("albums")']]);
    expect(reports[0]!.callSite).toContain(THIS_FILE);
  });

  test("the default under NODE_ENV=test is a warning through the logger, once per scope", async () => {
    expect(process.env.NODE_ENV).toBe("test");
    const db = watched({ telemetry: false });
    const { Album: B } = modelsOn(db, "Warned");
    try {
      const albums = await B.objects.all();
      await db.scope(async () => {
        for (const album of albums) await album.artist.load();
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^\[quarry\] N\+1: 50 separate loads of WarnedAlbum\.artist at .*observability\.test\.ts:\d+:\d+.*Fix: WarnedAlbum\.objects\.selectRelated\("artist"\)/);
      warnings.length = 0;
      const off = watched({ nPlusOne: { mode: "off" }, telemetry: false });
      const { Album: C } = modelsOn(off, "Quiet");
      for (const album of await C.objects.all()) await album.artist.load();
      await off.disconnect();
      expect(warnings).toEqual([]);
    } finally {
      await db.disconnect();
    }
  });

  test("a database that is off still detects in a scope that turns detection on, and only there", async () => {
    const db = watched({ nPlusOne: { mode: "off" }, telemetry: false });
    const { Album: B } = modelsOn(db, "Overridden");
    try {
      const albums = await B.objects.all();
      const error = await errorOf(() =>
        db.scope(
          async () => {
            for (const album of albums.slice(0, 10)) await album.artist.load();
          },
          { nPlusOne: { mode: "throw" } },
        ),
      );
      expect(error).toBeInstanceOf(orm.NPlusOneError);
      for (const album of albums.slice(10)) await album.artist.load();
      await db.scope(async () => {
        for (const album of await B.objects.all()) await album.artist.load();
      });
      expect(warnings).toEqual([]);
    } finally {
      await db.disconnect();
    }
  });

  test("through the Express integration: throw mode fails the request naming the fix; warn mode reports the whole request once", async () => {
    const db = watched({ telemetry: false });
    const { Album: B } = modelsOn(db, "Http");
    const app = express();
    const listAlbums = async (_request: express.Request, response: express.Response) => {
      const titles: string[] = [];
      for (const album of await B.objects.all()) titles.push(`${album.title} by ${(await album.artist.load()).name}`);
      response.json(titles);
    };
    app.get("/strict", atomicRequests(db, { scope: { nPlusOne: { mode: "throw" } } }), listAlbums);
    app.get("/lenient", atomicRequests(db, { transaction: false }), listAlbums);
    app.use((error: Error, _request: express.Request, response: express.Response, _next: express.NextFunction) => {
      response.status(500).json({ name: error.name, message: error.message });
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const strict = await fetch(`${origin}/strict`);
      expect(strict.status).toBe(500);
      const failure = (await strict.json()) as { name: string; message: string };
      expect(failure.name).toBe("NPlusOneError");
      expect(failure.message).toContain('HttpAlbum.objects.selectRelated("artist")');
      expect(failure.message).toContain(THIS_FILE);
      const lenient = await fetch(`${origin}/lenient`);
      expect(lenient.status).toBe(200);
      expect(((await lenient.json()) as string[]).length).toBe(50);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the scope ends when the response has closed
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain("50 separate loads of HttpAlbum.artist");
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await db.disconnect();
    }
  });

  test("slowQueryMs marks slow statements with their call site and warns without their values", async () => {
    const db = watched({ slowQueryMs: 0, telemetry: false });
    const { Artist: A } = modelsOn(db, "Slow");
    const events: orm.QueryEvent[] = [];
    db.on("query", (event) => events.push(event));
    try {
      await A.objects.filter({ name: "secret value" }).all();
      expect(events).toHaveLength(1);
      expect(events[0]!.slow).toBe(true);
      expect(events[0]!.callSite).toContain(THIS_FILE);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain("slow statement");
      expect(warnings[0]).toContain(THIS_FILE);
      expect(warnings[0]).not.toContain("secret value");
    } finally {
      await db.disconnect();
    }
    const fast = watched({ slowQueryMs: 60_000, telemetry: false });
    const fastEvents: orm.QueryEvent[] = [];
    fast.on("query", (event) => fastEvents.push(event));
    await fast.query(orm.sql`SELECT 1 AS one`);
    await fast.disconnect();
    expect(fastEvents[0]!.slow).toBeUndefined();
    expect(() => watched({ slowQueryMs: -1 })).toThrow(/slowQueryMs/);
  });

  test("OpenTelemetry: a client span per statement on the stable conventions, under the transaction's span", async () => {
    const tracer = trace.getTracer("test");
    await tracer.startActiveSpan("request", async (request) => {
      await Album.objects.filter({ title: "Artist 1 I" }).all();
      await database.transaction(async () => {
        await Artist.objects.filter({ name: "Artist 2" }).update({ name: "Artist 2" });
      });
      request.end();
    });
    const finished = spans.getFinishedSpans();
    const byName = (name: string) => finished.filter((span) => span.name === name);
    const [select] = byName("SELECT obs_album");
    expect(select).toBeDefined();
    expect(select!.kind).toBe(SpanKind.CLIENT);
    const system = { sqlite: "sqlite", postgresql: "postgresql", mysql: "mysql" }[target.dialect];
    expect(select!.attributes).toMatchObject({
      "db.system.name": system,
      "db.operation.name": "SELECT",
      "db.collection.name": "obs_album",
      "db.query.summary": "SELECT obs_album",
    });
    expect(select!.attributes["db.query.text"]).toMatch(/^SELECT .* FROM .*obs_album/);
    expect(JSON.stringify(select!.attributes)).not.toContain("Artist 1 I");
    if (target.dialect !== "sqlite") {
      expect(select!.attributes["server.address"]).toBe("127.0.0.1");
      expect(typeof select!.attributes["server.port"]).toBe("number");
      expect(select!.attributes["db.namespace"]).toBeTruthy();
    }
    const request = byName("request")[0]!;
    expect(select!.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    const [transaction] = byName("TRANSACTION");
    expect(transaction!.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    const [update] = byName("UPDATE obs_artist");
    expect(update!.parentSpanContext?.spanId).toBe(transaction!.spanContext().spanId);
    expect(transaction!.attributes["quarry.transaction.outcome"]).toBe("commit");
  });

  test("OpenTelemetry: a failed statement's span has error.type and an error status; batches say their size", async () => {
    const error = await errorOf(() => Album.objects.create({ title: "Orphan", artist: 987654 }));
    expect(error).toBeInstanceOf(orm.IntegrityError);
    const artists = await Artist.objects.all();
    await Promise.all(artists.slice(0, 4).map((artist) => Artist.objects.filter({ pk: artist.pk }).first()));
    const albums = await Album.objects.all();
    await Promise.all(albums.slice(0, 6).map((album) => album.artist.load()));
    const finished = spans.getFinishedSpans();
    const failed = finished.find((span) => span.name === "INSERT obs_album")!;
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes["error.type"]).toBe("IntegrityError");
    const batched = finished.find((span) => span.name === "SELECT obs_artist" && span.attributes["db.operation.batch.size"] !== undefined);
    expect(batched?.attributes["db.operation.batch.size"]).toBeGreaterThan(1);
  });

  test("OpenTelemetry: db.client.operation.duration is recorded per operation and collection", async () => {
    await Artist.objects.count();
    await reader.forceFlush();
    const histogram = measured
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === "db.client.operation.duration") as HistogramMetricData | undefined;
    expect(histogram?.descriptor.unit).toBe("s");
    const point = histogram!.dataPoints.find((data) => data.attributes["db.collection.name"] === "obs_artist" && data.attributes["db.operation.name"] === "SELECT");
    expect(point?.value.count).toBeGreaterThan(0);
  });

  test("telemetry: false sends no spans", async () => {
    const db = new orm.Database(target.url, { telemetry: false });
    await db.query(orm.sql`SELECT 1 AS one`);
    await db.disconnect();
    expect(spans.getFinishedSpans().filter((span) => span.name === "SELECT")).toEqual([]);
  });
});
