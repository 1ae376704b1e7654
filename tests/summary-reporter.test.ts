import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { expect, test } from "vitest";

const repository = resolve(import.meta.dirname, "..");

test("with a database server down, the closing line counts the tests that could not run as failed", async () => {
  // A nested run of one suite, its PostgreSQL half pointed at a port where nothing listens.
  const outcome = await new Promise<{ code: number | null; stdout: string }>((done) => {
    execFile(
      process.execPath,
      ["node_modules/vitest/vitest.mjs", "run", "tests/aggregates.test.ts", "--typecheck.enabled=false"],
      {
        cwd: repository,
        env: { ...process.env, CI: "true", QUARRY_TEST_DIALECTS: "sqlite,postgresql", QUARRY_TEST_POSTGRESQL_URL: "postgresql://postgres@127.0.0.1:1/test" },
        timeout: 240_000,
      },
      (error, stdout) => done({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout }),
    );
  });
  expect(outcome.code).not.toBe(0);
  const summary = outcome.stdout.match(/^(\d+) passed, (\d+) failed.*, (\d+) skipped$/m);
  expect(summary).not.toBeNull();
  const [, passed, failed, skipped] = summary!.map(Number);
  expect(passed).toBeGreaterThan(0);
  expect(failed).toBe(passed);
  expect(skipped).toBe(0);
  expect(outcome.stdout).toMatch(/setup failed: aggregates \[postgresql\]: Cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
}, 300_000);
