import { expect, test } from "vitest";
import * as orm from "../lib/index.js";

// This file registers no OpenTelemetry SDK: with only the API installed, statements must keep their direct path.
test("with @opentelemetry/api installed but no SDK registered, a database listens to nothing", async () => {
  const database = new orm.Database("sqlite:///:memory:");
  await database.query(orm.sql`SELECT 1 AS one`);
  expect(database.listenerCount("query")).toBe(0);
  expect(database.listenerCount("transaction")).toBe(0);
  await database.disconnect();
});
