import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TempProject } from "./helpers/project.js";

const MODELS = `import * as orm from "quarry";
export const database = new orm.Database("sqlite:///db.sqlite");
export const Album = orm.Model.define("Album", { name: orm.String({ maxLength: 100 }) }, { database });
export const Track = orm.Model.define("Track", { album: orm.ForeignKey(Album), title: orm.String() }, { database });
`;

describe("the quarry command", () => {
  const project = new TempProject();
  beforeAll(() => {
    project
      .write("models.ts", MODELS)
      .write("quarry.config.ts", `import { database } from "./models.js";\nimport type { QuarryConfig } from "quarry/cli";\nconst config: QuarryConfig = { database, models: ["./models.ts"], migrations: "./db/migrations" };\nexport default config;\n`)
      .write("other/quarry.config.mjs", `export default { database: "postgresql://ann:s3cret@127.0.0.1:5432/test" };\n`)
      .write("src/deep/.keep", "");
  });
  afterAll(() => project.destroy());

  it("lists its commands with --help and exits 0; with no command it exits 2", async () => {
    const help = await project.run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: quarry <command>/);
    expect(help.stdout).toMatch(/config\s+Show the config file/);
    expect((await project.run([])).code).toBe(2);
  });

  it("gives every command its own --help", async () => {
    const result = await project.run(["config", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: quarry config/);
    expect(result.stdout).toMatch(/--config <file>/);
    expect(result.stdout).toMatch(/--json/);
  });

  it("refuses an unknown command or flag with exit code 2 and says which", async () => {
    const unknown = await project.run(["migrat"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "migrat"/);
    const flag = await project.run(["config", "--nope"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--nope/);
  });

  it("finds a TypeScript config upward from the working directory and loads its models without a build step", async () => {
    const result = await project.run(["config", "--json"], { cwd: "src/deep" });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.config).toBe(`${project.root}/quarry.config.ts`);
    expect(summary.dialect).toBe("sqlite");
    expect(summary.models).toEqual(["Album", "Track"]);
    expect(summary.migrations).toBe(`${project.root}/db/migrations`);
  });

  it("takes --config, a URL for the database, and never prints the password", async () => {
    const result = await project.run(["config", "--config", "other/quarry.config.mjs"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/postgresql:\/\/ann:\*\*\*@127\.0\.0\.1:5432\/test/);
    expect(result.stdout).not.toMatch(/s3cret/);
    expect(result.stdout).toMatch(/migrations: .*other\/migrations/);
  });

  it("lets QUARRY_DATABASE_URL override the config's database", async () => {
    const result = await project.run(["config", "--json"], { env: { QUARRY_DATABASE_URL: "mysql://root@127.0.0.1:3306/elsewhere" } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ dialect: "mysql", database: "mysql://root@127.0.0.1:3306/elsewhere", models: ["Album", "Track"] });
  });

  it("says how to write a config when there is none, with exit code 1", async () => {
    const bare = new TempProject();
    try {
      const result = await bare.run(["config"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/No quarry config found .* create quarry\.config\.ts/s);
    } finally {
      bare.destroy();
    }
  });

  it("names the config file that failed to load", async () => {
    const broken = new TempProject().write("quarry.config.mjs", "export default { database: 42 };\n");
    try {
      const result = await broken.run(["config"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/quarry\.config\.mjs: "database" must be a Database or a database URL, got number/);
    } finally {
      broken.destroy();
    }
  });
});

describe("a project whose TypeScript compiles to CommonJS", () => {
  const project = new TempProject();
  afterAll(() => project.destroy());

  it("is told to be an ES module package, since its quarry is the CommonJS build", async () => {
    project.write("package.json", `{ "name": "commonjs-project", "private": true }\n`).write("models.ts", MODELS);
    project.write("quarry.config.ts", `import { database } from "./models.js";\nexport default { database, models: ["./models.ts"] };\n`);
    const result = await project.run(["config"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/loaded as CommonJS.*add "type": "module"/);
  });
});
