import { chmodSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { TempProject } from "./helpers/project.js";

/** A stand-in for each client on PATH: prints the arguments it got and the password variables it sees. */
const FAKE_CLIENT = `#!/bin/sh\necho "$(basename "$0") $*"\necho "PGPASSWORD=$PGPASSWORD MYSQL_PWD=$MYSQL_PWD PGOPTIONS=$PGOPTIONS"\nexit 3\n`;

describe("quarry dbshell", () => {
  const project = new TempProject();
  for (const client of ["psql", "mariadb", "sqlite3"]) {
    project.write(`bin/${client}`, FAKE_CLIENT);
    chmodSync(join(project.root, `bin/${client}`), 0o755);
  }
  const env = { PATH: `${join(project.root, "bin")}:${process.env.PATH}` };
  afterAll(() => project.destroy());

  test.each([
    ["postgresql://ann:s3cret@db.example:5433/shop?schema=sales", "psql -h db.example -p 5433 -U ann -d shop", "PGPASSWORD=s3cret MYSQL_PWD= PGOPTIONS=-c search_path=sales"],
    ["mysql://bob:pa55@127.0.0.1:3307/shop", "mariadb -h 127.0.0.1 -P 3307 -u bob shop", "PGPASSWORD= MYSQL_PWD=pa55 PGOPTIONS="],
    ["sqlite:////tmp/shop.sqlite", "sqlite3 /tmp/shop.sqlite", "PGPASSWORD= MYSQL_PWD= PGOPTIONS="],
  ])("%s opens the client with the password in its environment only, and exits with its code", async (url, command, environment) => {
    project.write("quarry.config.mjs", `export default { database: ${JSON.stringify(url)} };\n`);
    const result = await project.run(["dbshell"], { env });
    expect(result.stdout).toBe(`${command}\n${environment}\n`);
    expect(result.code).toBe(3);
  });

  test("a client that is not installed is named", async () => {
    project.write("quarry.config.mjs", `export default { database: "sqlite:////tmp/shop.sqlite" };\n`);
    const result = await project.run(["dbshell"], { env: { PATH: "/nonexistent" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot run sqlite3: .*install the database's client/);
  });
});
