import { spawn } from "node:child_process";
import { afterAll, expect, test } from "vitest";
import { QUARRY_BIN, TempProject } from "./helpers/project.js";

const project = new TempProject()
  .write(
    "models.ts",
    `import * as orm from "quarry";
export const database = new orm.Database("sqlite:///studio.sqlite");
export const Note = orm.Model.define("Note", { text: orm.String({ maxLength: 100 }) }, { database });
await database.createAll();
if ((await Note.objects.count()) === 0) await Note.objects.create({ text: "Call Mum <b>now</b>" });
`,
  )
  .write("quarry.config.ts", `import { database } from "./models.js";\nexport default { database, models: ["./models.ts"] };\n`);
afterAll(() => project.destroy());

test("quarry studio serves the admin on 127.0.0.1 behind a one-time link, and stops on SIGINT", async () => {
  const child = spawn(process.execPath, [QUARRY_BIN, "studio", "--port", "0"], { cwd: project.root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    const link = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const found = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output);
        if (found) resolve(found[1]!);
      });
      child.on("close", () => reject(new Error(`studio exited: ${output}${errors}`)));
    });
    const origin = new URL(link).origin;
    expect((await fetch(`${origin}/`)).status).toBe(401);
    const opened = await fetch(link, { redirect: "manual" });
    expect(opened.status).toBe(303);
    const cookie = opened.headers.get("set-cookie")!.split(";")[0]!;
    const models = await fetch(`${origin}/`, { headers: { cookie } });
    expect(models.status).toBe(200);
    expect(await models.text()).toContain(">Note</a>");
    const notes = await (await fetch(`${origin}/Note/`, { headers: { cookie } })).text();
    expect(notes).toContain("Call Mum &lt;b&gt;now&lt;/b&gt;");
    expect((await fetch(link, { redirect: "manual" })).status).toBe(401);
  } finally {
    child.kill("SIGINT");
  }
  expect(await exited).toBe(0);
});
