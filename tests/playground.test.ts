import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { describeEachDialect } from "./helpers/databases.js";

const run = promisify(execFile);

/** The playground scripts are the README's examples: each must run unchanged on every database. */
describeEachDialect("playground", ({ url }) => {
  for (const script of ["notes", "albums"]) {
    test(`playground/${script}.ts runs unchanged`, async () => {
      const { stdout } = await run(process.execPath, ["--import", "tsx", `playground/${script}.ts`], {
        env: { ...process.env, DATABASE_URL: url },
        timeout: 60_000,
      });
      if (script === "notes") {
        expect(stdout).toContain("icontains 'mum': [ 'Call Mum.' ]");
        expect(stdout).toContain("get pk=2: Note(id=2) pk = 2");
      } else {
        expect(stdout).toContain("Album(id=1) [sparse]");
        expect(stdout).toContain("UnloadedFieldError: Album.name is not loaded");
        expect(stdout).toContain("count across the FK: 2");
      }
    }, 90_000);
  }
});
