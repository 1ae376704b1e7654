import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { join } from "node:path";
import express from "express";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { admin } from "../lib/admin/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { chinook } from "./helpers/fixtures.js";

/** Set QUARRY_SCREENSHOTS to a folder to keep the change list's and the edit form's screenshots (docs/ holds them). */
const SCREENSHOTS = process.env.QUARRY_SCREENSHOTS;

interface User {
  readonly username: string;
  readonly role: "editor" | "viewer";
}
const USERS: Record<string, User> = { alice: { username: "alice", role: "editor" }, victor: { username: "victor", role: "viewer" } };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.QUARRY_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
});

describeEachDialect("admin", (target) => {
  const { database } = target;
  class Artist extends orm.Model.define("Artist", { name: orm.String({ maxLength: 120 }) }, { database }) {}
  class Album extends orm.Model.define("Album", { title: orm.String({ maxLength: 160 }), artist: orm.ForeignKey(Artist) }, { database }) {}
  const Tag = orm.Model.define("Tag", { name: orm.String({ maxLength: 40, unique: true }) }, { database });
  const Track = orm.Model.define(
    "Track",
    {
      name: orm.String({ maxLength: 200 }),
      album: orm.ForeignKey(Album),
      milliseconds: orm.Integer(),
      explicit: orm.Boolean({ default: false }),
      tags: orm.ManyToMany(Tag),
    },
    { database },
  );

  let server: Server;
  let origin = "";
  beforeAll(async () => {
    await database.createAll();
    await Artist.objects.bulkCreate(chinook("Artist").map((row) => ({ id: row.ArtistId as number, name: row.Name as string })));
    await Album.objects.bulkCreate(chinook("Album").map((row) => ({ id: row.AlbumId as number, title: row.Title as string, artist: row.ArtistId as number })));
    await Track.objects.bulkCreate(
      chinook("Track").map((row) => ({ id: row.TrackId as number, name: row.Name as string, album: row.AlbumId as number, milliseconds: row.Milliseconds as number })),
    );
    await Tag.objects.bulkCreate([{ name: "rock" }, { name: "live" }, { name: "classic" }]);
    const app = express();
    app.get("/login", (request, response) => {
      response.setHeader("Set-Cookie", `user=${String(request.query.user)}; Path=/`);
      response.send("signed in");
    });
    const auth = (request: express.Request) => USERS[/(?:^|; )user=(\w+)/.exec(request.headers.cookie ?? "")?.[1] ?? ""] ?? null;
    app.use(
      "/admin",
      admin<User>({
        database,
        auth: auth as (request: unknown) => User | null,
        permissions: (user) => (user.role === "viewer" ? ["view"] : ["view", "add", "change", "delete"]),
      }),
    );
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  async function signedIn(user: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${origin}/login?user=${user}`);
    return page;
  }

  test("an editor finds a track across two relations, fails validation, saves, follows the album, tags it", async () => {
    const page = await signedIn("alice");
    try {
      await page.goto(`${origin}/admin/`);
      await expect(page.locator("a", { hasText: "Track" }).first().isVisible()).resolves.toBe(true);
      await page.goto(`${origin}/admin/Track/?album__artist__name__icontains=${encodeURIComponent("ac/dc")}&q=go%20down`);
      expect(await page.locator("tbody tr").count()).toBe(1);
      if (SCREENSHOTS && target.dialect === "sqlite") {
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.goto(`${origin}/admin/Track/?album__artist__name=AC%2FDC`);
        await page.screenshot({ path: join(SCREENSHOTS, "admin-change-list.png"), fullPage: true });
        await page.goto(`${origin}/admin/Track/?album__artist__name__icontains=${encodeURIComponent("ac/dc")}&q=go%20down`);
      }
      await page.locator("tbody tr a", { hasText: "15" }).click();
      await page.waitForURL(/\/admin\/Track\/15$/);
      expect(await page.inputValue("#field-name")).toBe("Go Down");

      await page.fill("#field-name", "x".repeat(300));
      await page.click("button[type=submit]");
      const error = page.locator('.error[data-field="name"]');
      expect(await error.textContent()).toMatch(/200/);
      expect(await Track.objects.get({ pk: 15 }).then((track) => track.name)).toBe("Go Down");
      if (SCREENSHOTS && target.dialect === "sqlite") await page.screenshot({ path: join(SCREENSHOTS, "admin-edit-form.png"), fullPage: true });

      await page.fill("#field-name", "Go Down (live)");
      await page.selectOption("#field-tags", [{ label: "rock (1)" }, { label: "live (2)" }]);
      await page.click("button[type=submit]");
      await page.waitForURL(/saved=1/);
      expect(await page.locator(".notice").textContent()).toContain("Saved");
      const track = await Track.objects.get({ pk: 15 });
      expect(track.name).toBe("Go Down (live)");
      expect((await track.tags.orderBy("name").valuesList("name", { flat: true }).all()).sort()).toEqual(["live", "rock"]);

      await page.click("a.related-link");
      await page.waitForURL(/\/admin\/Album\/4$/);
      expect(await page.inputValue("#field-title")).toBe("Let There Be Rock");

      const audit = await database.query(orm.sql`SELECT action, model, object_key FROM quarry_admin_log`);
      expect(audit.map((row) => [row.action, row.model, String(row.object_key)])).toContainEqual(["change", "Track", "15"]);
    } finally {
      await page.close();
    }
  });

  test("a delete lists what ON DELETE CASCADE removes before it removes anything", async () => {
    const page = await signedIn("alice");
    try {
      await page.goto(`${origin}/admin/Album/1/delete`);
      const cascade = await page.locator("ul.cascade").textContent();
      expect(cascade).toMatch(/10 Track \(through album\) deleted/);
      expect(await Track.objects.filter({ album: 1 }).count()).toBe(10);
      await page.click("button[name=confirm]");
      expect(await page.locator(".notice").textContent()).toContain("Deleted 1 Album");
      expect(await Album.objects.filter({ pk: 1 }).exists()).toBe(false);
      expect(await Track.objects.filter({ album: 1 }).count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  test("a read-only user sees no edit controls and a forged POST is refused; so is a POST without the CSRF token", async () => {
    const page = await signedIn("victor");
    try {
      await page.goto(`${origin}/admin/Track/16`);
      expect(await page.locator("button[type=submit]").count()).toBe(0);
      expect(await page.locator("#field-name").isDisabled()).toBe(true);
      expect(await page.locator("a", { hasText: "Delete" }).count()).toBe(0);
      const token = (await page.context().cookies()).find((cookie) => cookie.name === "quarry_admin_csrf")!.value;
      const forged = await page.request.post(`${origin}/admin/Track/16`, { form: { csrf: token, name: "hacked", album: "4", milliseconds: "1" } });
      expect(forged.status()).toBe(403);
      expect((await Track.objects.get({ pk: 16 })).name).toBe("Dog Eat Dog");
    } finally {
      await page.close();
    }
    const editor = await signedIn("alice");
    try {
      await editor.goto(`${origin}/admin/Track/16`);
      const noToken = await editor.request.post(`${origin}/admin/Track/16`, { form: { name: "no token", album: "4", milliseconds: "1" } });
      expect(noToken.status()).toBe(403);
      const unauthenticated = await fetch(`${origin}/admin/Track/`);
      expect(unauthenticated.status).toBe(401);
      expect((await Track.objects.get({ pk: 16 })).name).toBe("Dog Eat Dog");
    } finally {
      await editor.close();
    }
  });

  test("a value holding <script> is shown as text, never run", async () => {
    const hostile = await Artist.objects.create({ name: `<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2">` });
    const page = await signedIn("alice");
    try {
      await page.goto(`${origin}/admin/Artist/?q=${encodeURIComponent("<script>")}`);
      expect(await page.locator("tbody").textContent()).toContain("<script>window.__owned = 1</script>");
      await page.goto(`${origin}/admin/Artist/${hostile.pk}`);
      expect(await page.inputValue("#field-name")).toContain("<script>");
      expect(await page.evaluate(() => (globalThis as unknown as { __owned?: number }).__owned)).toBeUndefined();
    } finally {
      await page.close();
    }
  });

  test("a change list of 3,500 tracks with their albums is two statements a page, and filters are checked like any filter", async () => {
    const page = await signedIn("alice");
    try {
      const statements = await target.statementsDuring(() => page.goto(`${origin}/admin/Track/?o=-name&page=3`));
      expect(statements.length).toBe(2);
      expect(await page.locator("tbody tr").count()).toBe(50);
      const bad = await page.goto(`${origin}/admin/Track/?password__contains=x`);
      expect(bad!.status()).toBe(400);
      expect(await page.locator(".error").textContent()).toContain('Track has no field or relation "password"');
    } finally {
      await page.close();
    }
  });
});
