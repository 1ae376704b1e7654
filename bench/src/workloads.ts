/**
 * The fourteen workloads: what arguments op number i gets, what the adapter is asked to do, and how
 * its answer is checked against the data set (every op of every tool is checked; a wrong answer
 * fails that tool for that workload). Write workloads also verify the database afterwards, untimed.
 */
import assert from "node:assert/strict";
import { PLAYLIST_COUNT, TAG_COUNT, TRACK_COUNT, type Dataset, type NewTrack, type TrackRow } from "./data.js";
import type { Adapter, AlbumWithTracks, MillisecondsRow, PlaylistWithTracks, TrackOut, TrackWithAlbum } from "./adapters/types.js";
import { checkConflictWrites, countInserted, deleteInserted, restoreMilliseconds, restorePrices, restoreUpserted, takeTagLinks, type AdminConn } from "./schema.js";

export type Cost = "fast" | "bulk";

export interface Workload<A = unknown, R = unknown> {
  key: string;
  title: string;
  cost: Cost;
  /** Arguments for op number i (a global counter, so tools don't all hit the same rows). */
  args(i: number, data: Dataset): A;
  /** Untimed per-op preparation (workload 9 loads the tracks whose FKs get loaded). */
  prepare?(adapter: Adapter, args: A): Promise<unknown>;
  run(adapter: Adapter, args: A, prepared: unknown): Promise<R>;
  check(result: R, args: A, data: Dataset): void;
  /** Untimed, after each op / after each batch of one tool (verification and cleanup). */
  afterOp?(admin: AdminConn, args: A): Promise<void>;
  afterBatch?(admin: AdminConn, ops: number, lastArgs: A | undefined): Promise<void>;
  /** Untimed, once all tools ran it: puts the database back as seeded. */
  afterAll?(admin: AdminConn, data: Dataset): Promise<void>;
  /** Whether the tool has the feature (a many-to-many): tools without it are left out of the workload. */
  supports?(adapter: Adapter): boolean;
}

/** Each adapter's shapeRows of each list of rows, made once and kept: see Adapter.shapeRows. */
const shapedRows = new WeakMap<Adapter, WeakMap<readonly object[], unknown[]>>();
async function shaped(adapter: Adapter, rows: readonly (NewTrack | TrackRow)[]): Promise<unknown[] | undefined> {
  if (!adapter.shapeRows) return undefined;
  let kept = shapedRows.get(adapter);
  if (!kept) shapedRows.set(adapter, (kept = new WeakMap()));
  let shapedOnce = kept.get(rows);
  if (!shapedOnce) kept.set(rows, (shapedOnce = adapter.shapeRows(rows)));
  return shapedOnce;
}

const checkTrack = (t: TrackOut, data: Dataset, id: number): void => {
  const want = data.trackById.get(id)!;
  assert.deepEqual({ id: Number(t.id), name: t.name, albumId: Number(t.albumId) }, { id, name: want.name, albumId: want.albumId });
};

const checkTrackWithAlbum = (t: TrackWithAlbum, data: Dataset, id: number): void => {
  const want = data.trackById.get(id)!;
  assert.deepEqual({ id: Number(t.id), name: t.name, albumTitle: t.albumTitle },
    { id, name: want.name, albumTitle: data.albumById.get(want.albumId)!.title });
};

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

// 2: thresholds spread over the milliseconds distribution; expected pages precomputed once.
const THRESHOLDS = [150_000, 200_000, 250_000, 300_000, 400_000, 600_000, 1_000_000, 2_000_000];
const pageCache = new WeakMap<Dataset, Map<number, number[]>>();
function expectedPage(data: Dataset, min: number): number[] {
  let pages = pageCache.get(data);
  if (!pages) pageCache.set(data, (pages = new Map()));
  let ids = pages.get(min);
  if (!ids) {
    ids = data.tracks.filter((t) => t.milliseconds > min)
      .sort((a, b) => b.milliseconds - a.milliseconds || b.id - a.id).slice(0, 20).map((t) => t.id);
    pages.set(min, ids);
  }
  return ids;
}

// 8: the artists with the most tracks, then every 7th one (counts from ~1 to several hundred).
const artistNames = (data: Dataset): string[] => {
  const sorted = [...data.trackCountByArtistName.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return sorted.filter((_, k) => k < 10 || k % 7 === 0).map(([name]) => name);
};

export const newTrack = (i: number, data: Dataset): NewTrack => {
  const src = data.tracks[i % data.tracks.length]!;
  return { name: `${src.name} [new ${i}]`, albumId: src.albumId, milliseconds: src.milliseconds, unitPrice: src.unitPrice };
};

export const WORKLOADS: Workload<any, any>[] = [
  {
    key: "get-by-pk", title: "1. get by primary key", cost: "fast",
    args: (i) => 1 + ((i * 7919) % TRACK_COUNT),
    run: (a, id: number) => a.getByPk(id),
    check: (t: TrackOut, id: number, data) => checkTrack(t, data, id),
  },
  {
    key: "filter-order-limit", title: "2. filter + orderBy + limit 20 (of 10,000)", cost: "fast",
    args: (i) => THRESHOLDS[i % THRESHOLDS.length]!,
    run: (a, min: number) => a.filterOrderLimit(min),
    check: (rows: TrackOut[], min: number, data) => {
      const ids = expectedPage(data, min);
      assert.deepEqual(rows.map((r) => Number(r.id)), ids);
      rows.forEach((r, k) => checkTrack(r, data, ids[k]!));
    },
  },
  {
    key: "select-related", title: "3. 200 tracks with their album (JOIN)", cost: "fast",
    args: (i) => { const from = 1 + ((i * 200) % (TRACK_COUNT - 200)); return [from, from + 200] as const; },
    run: (a, [from, to]: [number, number]) => a.tracksWithAlbum(from, to),
    check: (rows: TrackWithAlbum[], [from, to]: [number, number], data) => {
      const ids = range(from, to);
      assert.deepEqual(rows.map((r) => Number(r.id)), ids);
      rows.forEach((r, k) => checkTrackWithAlbum(r, data, ids[k]!));
    },
  },
  {
    key: "prefetch-related", title: "4. 50 albums with their tracks (prefetch)", cost: "fast",
    args: (i, data) => { const from = 1 + ((i * 50) % (data.albums.length - 50)); return [from, from + 50] as const; },
    run: (a, [from, to]: [number, number]) => a.albumsWithTracks(from, to),
    check: (rows: AlbumWithTracks[], [from, to]: [number, number], data) => {
      const ids = range(from, to);
      assert.deepEqual(rows.map((r) => Number(r.id)), ids);
      rows.forEach((r, k) => {
        assert.equal(r.title, data.albumById.get(ids[k]!)!.title);
        assert.deepEqual(r.trackIds.map(Number).sort((x, y) => x - y), data.trackIdsByAlbum.get(ids[k]!));
      });
    },
  },
  {
    key: "insert-one", title: "5. insert 1 row, returning it", cost: "fast",
    args: (i, data) => newTrack(i, data),
    run: (a, row: NewTrack) => a.insertOne(row),
    check: (t: TrackOut, row: NewTrack) => {
      assert.ok(Number(t.id) > TRACK_COUNT, `new id ${t.id} should be > ${TRACK_COUNT}`);
      assert.deepEqual({ name: t.name, albumId: Number(t.albumId) }, { name: row.name, albumId: row.albumId });
    },
    afterBatch: async (admin, ops) => {
      assert.equal(await countInserted(admin), ops, "rows in the table after the batch");
      await deleteInserted(admin);
    },
  },
  {
    key: "bulk-create", title: "6. bulkCreate 10,000 rows", cost: "bulk",
    args: (_i, data) => data.bulkRows,
    prepare: shaped,
    run: (a, rows: NewTrack[], prepared) => a.bulkCreate(rows, prepared as unknown[] | undefined),
    check: (n: number, rows: NewTrack[]) => assert.equal(Number(n), rows.length),
    afterOp: async (admin, rows: NewTrack[]) => {
      assert.equal(await countInserted(admin), rows.length, "rows in the table after bulkCreate");
      await deleteInserted(admin);
      await admin.settle();
    },
  },
  {
    key: "bulk-create-ignore", title: "6b. bulkCreate 10,000 rows, onConflict ignore (5,000 clash)", cost: "bulk",
    args: (_i, data) => data.conflictRows,
    supports: (a) => typeof a.bulkCreateIgnore === "function",
    prepare: shaped,
    run: (a, rows: TrackRow[], prepared) => a.bulkCreateIgnore!(rows, prepared as unknown[] | undefined),
    // What each tool reports differs (rows written, rows given): the table is checked instead.
    check: () => {},
    afterOp: async (admin) => {
      await checkConflictWrites(admin, false);
      await deleteInserted(admin);
      await admin.settle();
    },
  },
  {
    key: "bulk-upsert", title: "6c. bulkCreate 10,000 rows, upsert (5,000 update)", cost: "bulk",
    args: (_i, data) => data.conflictRows,
    supports: (a) => typeof a.bulkUpsert === "function",
    prepare: shaped,
    run: (a, rows: TrackRow[], prepared) => a.bulkUpsert!(rows, prepared as unknown[] | undefined),
    check: () => {},
    afterOp: async (admin) => {
      await checkConflictWrites(admin, true);
      await restoreUpserted(admin);
      await deleteInserted(admin);
      await admin.settle();
    },
  },
  {
    key: "bulk-update", title: "6d. bulkUpdate 10,000 rows, each its own value", cost: "bulk",
    // Every track's milliseconds moved by an amount of its own that changes from op to op.
    args: (i, data): MillisecondsRow[] => data.tracks.map((t) => ({ id: t.id, milliseconds: t.milliseconds + 1 + ((t.id + i) % 97) })),
    supports: (a) => typeof a.bulkUpdate === "function",
    prepare: (a, rows: MillisecondsRow[]) => a.prepareBulkUpdate!(rows),
    run: (a, _rows: MillisecondsRow[], prepared) => a.bulkUpdate!(prepared),
    check: (n: number, rows: MillisecondsRow[]) => assert.equal(Number(n), rows.length),
    afterOp: async (admin, rows: MillisecondsRow[]) => {
      const [row] = await admin.all<{ total: number | string }>("SELECT SUM(milliseconds) AS total FROM track", []);
      assert.equal(Number(row!.total), rows.reduce((sum, r) => sum + r.milliseconds, 0), "milliseconds after bulkUpdate");
    },
    afterAll: (admin, data) => restoreMilliseconds(admin, data),
  },
  {
    key: "update-filter", title: "7. update by filter", cost: "fast",
    // A price no row has yet, so "changed" and "matched" row counts agree on every database.
    args: (i, data) => [data.albums[i % data.albums.length]!.id, (2 + (i % 9973) / 100).toFixed(2)] as const,
    run: (a, [albumId, price]: [number, string]) => a.updateByFilter(albumId, price),
    check: (n: number, [albumId]: [number, string], data) => assert.equal(Number(n), data.trackIdsByAlbum.get(albumId)!.length),
    afterBatch: async (admin, _ops, last?: [number, string]) => {
      if (!last) return;
      const [row] = await admin.all<{ n: number | string }>("SELECT COUNT(*) AS n FROM track WHERE album_id = ? AND unit_price = ?", [last[0], last[1]]);
      assert.ok(Number(row!.n) > 0, `album ${last[0]} should have price ${last[1]} after the batch`);
    },
    afterAll: (admin, data) => restorePrices(admin, data),
  },
  {
    key: "count-across-fk", title: "8. count with a filter across a FK", cost: "fast",
    args: (i, data) => { const names = artistNames(data); return names[i % names.length]!; },
    run: (a, name: string) => a.countAcrossFk(name),
    check: (n: number, name: string, data) => assert.equal(Number(n), data.trackCountByArtistName.get(name)),
  },
  {
    key: "fk-loads", title: "9. 100 FK loads issued together", cost: "fast",
    args: (i) => { const from = 1 + ((i * 100) % (TRACK_COUNT - 100)); return range(from, from + 100); },
    prepare: (a, ids: number[]) => a.prepareFkLoads(ids),
    run: (a, _ids: number[], prepared) => a.fkLoads(prepared),
    check: (rows: TrackWithAlbum[], ids: number[], data) => {
      assert.deepEqual(rows.map((r) => Number(r.id)).sort((x, y) => x - y), ids);
      rows.forEach((r) => checkTrackWithAlbum(r, data, Number(r.id)));
    },
  },
  {
    key: "m2m-prefetch", title: "10. 50 playlists with their tracks through ManyToMany (prefetch)", cost: "fast",
    args: (i) => { const from = 1 + ((i * 50) % (PLAYLIST_COUNT - 50)); return [from, from + 50] as const; },
    supports: (a) => typeof a.playlistsWithTracks === "function",
    run: (a, [from, to]: [number, number]) => a.playlistsWithTracks!(from, to),
    check: (rows: PlaylistWithTracks[], [from, to]: [number, number], data) => {
      const ids = range(from, to);
      assert.deepEqual(rows.map((r) => Number(r.id)), ids);
      rows.forEach((r, k) => {
        assert.equal(r.name, data.playlists[ids[k]! - 1]!.name);
        assert.deepEqual(r.trackIds.map(Number).sort((x, y) => x - y), data.trackIdsByPlaylist.get(ids[k]!));
      });
    },
  },
  {
    key: "m2m-add", title: "11. add 100 tags through ManyToMany", cost: "fast",
    // A different track each op (7919 is prime to 10,000), 100 consecutive tags.
    args: (i) => { const from = 1 + ((i * 100) % (TAG_COUNT - 100)); return [1 + ((i * 7919) % TRACK_COUNT), range(from, from + 100)] as const; },
    supports: (a) => typeof a.addTags === "function",
    prepare: (a, [trackId]: [number, number[]]) => a.prepareAddTags!(trackId),
    run: (a, [, tagIds]: [number, number[]], track) => a.addTags!(track, tagIds),
    check: () => {},
    afterBatch: async (admin, ops) => assert.equal(await takeTagLinks(admin), ops * 100, "links in track_tags after the batch"),
  },
];
