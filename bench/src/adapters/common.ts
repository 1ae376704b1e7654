/** Bits shared by the peer adapters. */
import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import path from "node:path";
import { BENCH_DIR } from "../config.js";

/** Installed versions of npm packages, e.g. pkgVersion("drizzle-orm") -> "drizzle-orm 0.45.4". */
export function pkgVersion(...names: string[]): string {
  return names.map((n) => {
    const pkg = JSON.parse(readFileSync(path.join(BENCH_DIR, "node_modules", n, "package.json"), "utf8")) as { version: string };
    return `${n} ${pkg.version}`;
  }).join(", ");
}

/**
 * The bench's SQLite file on a connection of its own, foreign keys enforced as quarry, TypeORM, Sequelize and MikroORM
 * enforce them on theirs:
 * SQLite leaves the check off unless each connection asks, and a tool skipping it inserts rows for less work
 * (10,000 rows into track: about 1.6 ms of 11.6 ms on the machine of bench/results).
 */
export function openSqlite(file: string): Database.Database {
  const db = new Database(file);
  db.pragma("foreign_keys = ON");
  return db;
}

/** Counts come back as number, bigint or string depending on the driver. */
export const toNumber = (v: unknown): number => Number(v);

/**
 * The second half of a two-query prefetch (albums, then their tracks with album_id IN (...)):
 * groups the track ids under their album, keeping the albums' order.
 */
export function groupTracks<A extends { id: number; title: string }, T extends { id: number }>(
  albums: A[], tracks: T[], albumIdOf: (t: T) => number,
): { id: number; title: string; trackIds: number[] }[] {
  const byAlbum = new Map<number, number[]>(albums.map((a) => [a.id, []]));
  for (const t of tracks) byAlbum.get(albumIdOf(t))!.push(t.id);
  return albums.map((a) => ({ id: a.id, title: a.title, trackIds: byAlbum.get(a.id)! }));
}
