import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { expectRefusedBeforeSql } from "./helpers/fixtures.js";
import { deferred, rejectionOf } from "./helpers/concurrency.js";

describeEachDialect(
  "row locks",
  (target) => {
    const { database, dialect } = target;
    const Worker = orm.Model.define("Worker", { name: orm.String({ maxLength: 20 }) }, { database });
    const Job = orm.Model.define("Job", { payload: orm.Integer(), owner: orm.ForeignKey(Worker, { allowNull: true }) }, { database });
    const Claim = orm.Model.define("Claim", { job: orm.ForeignKey(Job), worker: orm.Integer() }, { database });

    /** Runs `during` while another transaction holds the rows `lock` reads locked, then lets that transaction end. */
    async function whileLocked(lock: () => Promise<unknown>, during: () => Promise<void>): Promise<void> {
      const taken = deferred();
      const release = deferred();
      const holder = database.transaction(async () => {
        await lock();
        taken.resolve();
        await release.promise;
      });
      await taken.promise;
      try {
        await during();
      } finally {
        release.resolve();
        await holder;
      }
    }

    beforeAll(async () => {
      await database.createAll();
      await Worker.objects.bulkCreate(Array.from({ length: 8 }, (_, index) => ({ id: index + 1, name: `worker ${index + 1}` })));
    });

    test("selectForUpdate() outside a transaction is a TransactionError before any SQL", async () => {
      const error = await expectRefusedBeforeSql(target, () => Job.objects.selectForUpdate().all(), orm.TransactionError);
      expect(error.message).toMatch(/needs a transaction/);
      await expectRefusedBeforeSql(target, () => Job.objects.selectForUpdate({ skipLocked: true }).first(), orm.TransactionError);
      await expectRefusedBeforeSql(target, () => Job.objects.selectForUpdate().get({ pk: 1 }), orm.TransactionError);
      await expectRefusedBeforeSql(target, () => Job.objects.selectForUpdate().count(), orm.TransactionError);
      await expectRefusedBeforeSql(target, () => Job.objects.selectForUpdate().exists(), orm.TransactionError);
      await expectRefusedBeforeSql(target, () => Job.objects.selectForUpdate().aggregate({ n: orm.Count("id") }), orm.TransactionError);
      expect(() => Job.objects.selectForUpdate({ skipLocked: true, noWait: true })).toThrow(orm.ValidationError);
      expect(() => Job.objects.selectForUpdate({ of: ["payload" as never] })).toThrow(orm.UnknownFieldError);
    });

    test("inside a transaction it locks with FOR UPDATE where the database has row locks (SQLite's BEGIN IMMEDIATE holds the write lock)", async () => {
      await Job.objects.bulkCreate([{ payload: -1 }]);
      const statements = await target.statementsDuring(() =>
        database.transaction(async () => {
          await Job.objects.filter({ payload: -1 }).selectForUpdate({ skipLocked: true }).all();
          await Job.objects.selectRelated("owner").filter({ payload: -1 }).selectForUpdate({ of: ["self"] }).all();
        }),
      );
      const selects = statements.map((event) => event.sql).filter((text) => text.startsWith("SELECT"));
      if (dialect === "sqlite") {
        expect(selects.every((text) => !text.includes("FOR UPDATE"))).toBe(true);
        expect(statements[0]!.sql).toBe("BEGIN IMMEDIATE");
      } else {
        expect(selects[0]).toMatch(/ FOR UPDATE SKIP LOCKED$/);
        expect(selects[1]).toMatch(dialect === "postgresql" ? / FOR UPDATE OF "job"$/ : / FOR UPDATE$/);
      }
      await Job.objects.filter({ payload: -1 }).delete();
    });

    test("selectRelated across a nullable foreign key: locked without `of`; on PostgreSQL `of` naming it is a ValidationError before any SQL", async () => {
      await Job.objects.bulkCreate([{ payload: -3, owner: 1 }, { payload: -3, owner: null }]);
      const read = () => Job.objects.selectRelated("owner").filter({ payload: -3 }).orderBy("id").selectForUpdate();
      const rows = await database.transaction(() => read().all());
      expect(rows.map((job) => job.owner?.name ?? null)).toEqual(["worker 1", null]);
      const values = await database.transaction(() => Job.objects.filter({ payload: -3 }).orderBy("id").selectForUpdate().valuesList("owner__name", { flat: true }));
      expect(values).toEqual(["worker 1", null]);
      if (dialect !== "sqlite") {
        // The jobs read are locked: another transaction's noWait on them fails at once.
        await whileLocked(
          () => read().all(),
          async () => {
            const error = await rejectionOf(() => database.transaction(() => Job.objects.filter({ payload: -3 }).selectForUpdate({ noWait: true }).all()));
            expect(error).toBeInstanceOf(orm.DatabaseError);
          },
        );
      }
      const named = database.transaction(() => read().selectForUpdate({ of: ["self", "owner"] }).all());
      if (dialect === "postgresql") {
        const statements = await target.statementsDuring(async () => {
          const error = await rejectionOf(() => named);
          expect(error).toBeInstanceOf(orm.ValidationError);
          expect((error as Error).message).toMatch(/cannot lock the rows of owner.*nullable foreign key/);
        });
        expect(statements.filter((event) => event.sql.startsWith("SELECT"))).toEqual([]);
      } else {
        expect(await named).toHaveLength(2);
      }
      await Job.objects.filter({ payload: -3 }).delete();
    });

    // SQLite has no row locks to wait for: its transactions take turns on the database's one write lock.
    if (dialect !== "sqlite")
      test("noWait fails at once on a row another transaction holds, and skipLocked leaves it out", async () => {
      const [job] = await Job.objects.bulkCreate([{ payload: -2 }]);
      const mine = () => Job.objects.filter({ pk: job!.pk });
      await whileLocked(
        () => mine().selectForUpdate().all(),
        async () => {
          const error = await rejectionOf(() => database.transaction(() => mine().selectForUpdate({ noWait: true }).all()));
          expect(error).toBeInstanceOf(orm.DatabaseError);
          const skipped = await database.transaction(() => mine().selectForUpdate({ skipLocked: true }).all());
          expect(skipped).toEqual([]);
        },
      );
      await Job.objects.filter({ payload: -2 }).delete();
    });

    test("a queue of 1,000 jobs drained by 8 concurrent workers with skipLocked: each job claimed exactly once", async () => {
      await Job.objects.bulkCreate(Array.from({ length: 1000 }, (_, index) => ({ payload: index })));
      const perWorker = new Map<number, number>();
      const work = async (worker: number) => {
        for (;;) {
          const claimed = await database.transaction(async () => {
            const batch = await Job.objects.filter({ owner: null, payload__gte: 0 }).orderBy("id").limit(10).selectForUpdate({ skipLocked: true }).all();
            if (batch.length === 0) return 0;
            for (const job of batch) job.owner = worker as never;
            await Job.objects.bulkUpdate(batch, ["owner"]);
            await Claim.objects.bulkCreate(batch.map((job) => ({ job: job.pk as number, worker })));
            return batch.length;
          });
          if (claimed === 0) return;
          perWorker.set(worker, (perWorker.get(worker) ?? 0) + claimed);
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, index) => work(index + 1)));
      expect(await Claim.objects.count()).toBe(1000);
      expect(await Claim.objects.values("job").distinct().count()).toBe(1000);
      expect(await Job.objects.filter({ owner: null, payload__gte: 0 }).count()).toBe(0);
      expect([...perWorker.values()].reduce((sum, count) => sum + count, 0)).toBe(1000);
      const owners = await Job.objects.filter({ payload__gte: 0 }).values("owner").annotate({ n: orm.Count("id") }).orderBy("owner");
      expect(owners.map((row) => [row.owner, row.n])).toEqual([...perWorker].sort(([a], [b]) => a - b));
    }, 120_000);
  },
  { pool: { max: 10 } },
);
