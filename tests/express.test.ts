import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { atomicRequests } from "../lib/express/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { connectionId, deferred, until, type Deferred } from "./helpers/concurrency.js";

describeEachDialect("express", ({ database, dialect }) => {
  const Note = orm.Model.define(
    "ExpressNote",
    { text: orm.String({ maxLength: 100, unique: true }), completed: orm.Boolean({ default: false }) },
    { database, tablename: "express_notes" },
  );

  /** The handler of /slow signals `entered` once it has written in its transaction, then waits for `release`. */
  let entered: Deferred<number | undefined>;
  let release: Deferred;
  let handlerOutcome: Deferred<unknown>;
  const scopes: Array<orm.Scope | undefined> = [];

  const app = express();
  app.use(express.json());
  app.use(atomicRequests(database, { scope: {} }));
  app.post("/notes", async (request, response) => {
    const note = await Note.objects.create({ text: request.body.text });
    response.status(201).json(note);
  });
  app.get("/notes/:text", async (request, response) => {
    scopes.push(database.currentScope);
    const note = await Note.objects.filter({ text: request.params.text }).first();
    if (note) response.json(note);
    else response.status(404).json({ missing: request.params.text });
  });
  app.post("/failing", async () => {
    await Note.objects.create({ text: "failing" });
    throw new Error("the handler failed");
  });
  app.post("/swallowed", async (_request, response) => {
    await Note.objects.create({ text: "swallowed" });
    // A statement that fails fails the transaction, even when the handler catches it: COMMIT cannot go through.
    await Note.objects.create({ text: "swallowed" }).catch(() => {});
    response.json({ ok: true });
  });
  app.post("/slow", async (_request, response) => {
    try {
      await Note.objects.create({ text: "slow" });
      entered.resolve(dialect === "sqlite" ? undefined : await connectionId(database));
      await release.promise;
      await Note.objects.create({ text: "after the client left" });
      response.json({ ok: true });
      handlerOutcome.resolve("answered");
    } catch (error) {
      entered.reject(error);
      handlerOutcome.resolve(error);
    }
  });
  app.use((error: Error, _request: express.Request, response: express.Response, _next: express.NextFunction) => {
    response.status(500).json({ error: error.message, name: error.name });
  });

  let server: Server;
  let base: string;
  beforeAll(async () => {
    await database.createAll();
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(async () => {
    await Note.objects.delete();
    entered = deferred();
    release = deferred();
    handlerOutcome = deferred();
  });

  const post = (path: string, body: unknown) =>
    fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  test("a POST answered is committed: the GET sent right after it finds the row, every time", async () => {
    const statuses: string[] = [];
    for (let i = 0; i < 200; i++) {
      const created = await post("/notes", { text: `note ${i}` });
      const found = await fetch(`${base}/notes/${encodeURIComponent(`note ${i}`)}`);
      statuses.push(`${created.status}/${found.status}`);
      await found.json();
      await created.json();
    }
    expect(statuses.filter((status) => status !== "201/200")).toEqual([]);
  });

  test("each request runs in a scope of its own", async () => {
    scopes.length = 0;
    await Promise.all(["a", "b"].map((text) => fetch(`${base}/notes/${text}`).then((response) => response.json())));
    expect(scopes).toHaveLength(2);
    expect(scopes[0]).toBeInstanceOf(orm.Scope);
    expect(scopes[1]).toBeInstanceOf(orm.Scope);
    expect(scopes[0]).not.toBe(scopes[1]);
  });

  test("a handler that throws rolls its writes back before the error response goes out", async () => {
    const response = await post("/failing", {});
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: "the handler failed", name: "Error" });
    expect(await Note.objects.count()).toBe(0);
  });

  test("a COMMIT that cannot go through becomes an error response, not a false success", async () => {
    const response = await post("/swallowed", {});
    expect(response.status).toBe(500);
    expect(((await response.json()) as { name: string }).name).toBe("TransactionError");
    expect(await Note.objects.count()).toBe(0);
  });

  test("a client that disconnects mid-request rolls the transaction back at once and frees its connection", async () => {
    const client = httpRequest(`${base}/slow`, { method: "POST", agent: false, headers: { "content-type": "application/json" } });
    client.on("error", () => {});
    client.end("{}");
    const backend = await entered.promise;
    client.destroy();
    // The transaction ends while the handler still waits: its connection is back in the pool.
    await until(() => database.poolStats().total === database.poolStats().idle, 10_000, "the connection to be given back");
    if (dialect === "postgresql") {
      const [state] = await database.query<{ state: string | null }>(orm.sql`SELECT state FROM pg_stat_activity WHERE pid = ${backend!}`);
      expect(state?.state).not.toBe("idle in transaction");
    }
    expect(await Note.objects.count()).toBe(0);
    release.resolve();
    const outcome = await handlerOutcome.promise;
    expect(outcome).toBeInstanceOf(orm.TransactionError);
    expect(await Note.objects.count()).toBe(0);
    // The application keeps serving (on SQLite the one connection is free again).
    expect((await post("/notes", { text: "after" })).status).toBe(201);
    expect((await fetch(`${base}/notes/after`)).status).toBe(200);
  });

  test("many clients that disconnect leave no transaction open behind them", async () => {
    for (let i = 0; i < 5; i++) {
      entered = deferred();
      release = deferred();
      handlerOutcome = deferred();
      const client = httpRequest(`${base}/slow`, { method: "POST", agent: false, headers: { "content-type": "application/json" } });
      client.on("error", () => {});
      client.end("{}");
      await entered.promise;
      client.destroy();
      await until(() => database.poolStats().total === database.poolStats().idle, 10_000, "the connection to be given back");
      release.resolve();
      expect(await handlerOutcome.promise).toBeInstanceOf(orm.TransactionError);
    }
    if (dialect === "postgresql") {
      const idle = await database.query(
        orm.sql`SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' AND pid <> pg_backend_pid() AND application_name = ''
                AND pid IN (SELECT pid FROM pg_locks WHERE relation = 'express_notes'::regclass)`,
      );
      expect(idle).toEqual([]);
    }
    expect(await Note.objects.count()).toBe(0);
    expect((await post("/notes", { text: "still serving" })).status).toBe(201);
  });
});
