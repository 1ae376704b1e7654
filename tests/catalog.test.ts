import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { compareCatalogs, readCatalog, type Catalog, type TableSchema } from "../lib/schema/index.js";
import { describeEachDialect } from "./helpers/databases.js";

function tableOf(catalog: Catalog, name: string): TableSchema {
  const table = catalog.tables.find((candidate) => candidate.name === name);
  if (!table) throw new Error(`no table ${name} in ${catalog.tables.map((t) => t.name).join(", ")}`);
  return table;
}

describeEachDialect("catalog of createAll", ({ database, dialect }) => {
  const Shelf = orm.Model.define("Shelf", { label: orm.String({ maxLength: 40, unique: true }) }, { database, tablename: "shelves" });
  orm.Model.define(
    "Book",
    {
      title: orm.String({ maxLength: 120 }),
      price: orm.Decimal({ maxDigits: 10, decimalPlaces: 2, default: "9.99" }),
      inPrint: orm.Boolean({ default: false, column: "in_print" }),
      format: orm.Enum(["paper", "cloth"]),
      shelf: orm.ForeignKey(Shelf, { onDelete: "SET NULL", allowNull: true }),
      isbn: orm.String({ maxLength: 13, index: true }),
      notes: orm.Text({ allowNull: true }),
      published: orm.DateTime({ allowNull: true }),
    },
    { database, tablename: "books" },
  );
  let catalog: Catalog;

  beforeAll(async () => {
    await database.createAll();
    catalog = await readCatalog(database);
  });

  test("reads every table, column, type argument, nullability and default", () => {
    expect(catalog.dialect).toBe(dialect);
    expect(catalog.tables.map((table) => table.name)).toEqual(["books", "shelves"]);
    const books = tableOf(catalog, "books");
    expect(books.columns.map((column) => column.name)).toEqual(["id", "title", "price", "in_print", "format", "shelf_id", "isbn", "notes", "published"]);
    const column = (name: string) => books.columns.find((candidate) => candidate.name === name)!;
    expect(column("id")).toMatchObject({ nullable: false, generated: true, default: null });
    expect(column("title").type).toMatchObject({ name: "varchar", length: 120 });
    expect(column("title")).toMatchObject({ nullable: false, generated: false, default: null });
    expect(column("price").type).toMatchObject({ name: "numeric", precision: 10, scale: 2 });
    expect(column("price").default).toMatch(/9\.99/);
    expect(column("in_print").type.name).toBe(dialect === "sqlite" ? "integer" : "boolean");
    expect(column("in_print").default).toMatch(/^(false|0|FALSE)$/);
    expect(column("notes")).toMatchObject({ nullable: true, default: null });
    expect(column("notes").type.name).toBe("text");
    expect(column("published").type.name).toBe({ sqlite: "text", postgresql: "timestamptz", mysql: "timestamp" }[dialect]);
  });

  test("reads primary keys, foreign keys with ON DELETE, unique constraints, indexes and CHECKs", () => {
    const books = tableOf(catalog, "books");
    expect(books.primaryKey).toEqual(["id"]);
    expect(books.foreignKeys).toEqual([
      expect.objectContaining({ columns: ["shelf_id"], referencedTable: "shelves", referencedColumns: ["id"], onDelete: "SET NULL" }),
    ]);
    // InnoDB indexes a foreign key itself; the others get quarry's index.
    const indexed = books.indexes.map((index) => index.columns.join(","));
    expect(indexed).toEqual(dialect === "mysql" ? ["isbn"] : ["isbn", "shelf_id"]);
    expect(books.indexes.every((index) => !index.unique)).toBe(true);
    expect(books.checks).toHaveLength(1);
    expect(books.checks[0]!.expression).toMatch(/format.*paper.*cloth/s);
    expect(tableOf(catalog, "shelves").uniques.map((unique) => unique.columns)).toEqual([["label"]]);
  });

  test("a catalog equals itself read again, and a column added or an index dropped by hand are differences", async () => {
    expect(compareCatalogs(catalog, await readCatalog(database))).toEqual([]);
    await database.execute(orm.raw(`ALTER TABLE ${database.dialect.quote("books")} ADD COLUMN ${database.dialect.quote("extra")} INTEGER`));
    const index = tableOf(catalog, "books").indexes.find((candidate) => candidate.columns[0] === "isbn")!;
    const dropIndex = dialect === "mysql" ? `DROP INDEX \`${index.name}\` ON books` : `DROP INDEX "${index.name}"`;
    await database.execute(orm.raw(dropIndex));
    const differences = compareCatalogs(catalog, await readCatalog(database));
    expect(differences.map((difference) => [difference.kind, difference.change])).toEqual([
      ["column", "added"],
      ["index", "missing"],
    ]);
    expect(differences[0]!.description).toContain("books.extra");
    expect(differences[1]!.description).toContain(index.name);
  });
});

describeEachDialect("catalog of hand-written DDL", ({ database, dialect }) => {
  const q = (name: string) => database.dialect.quote(name);
  beforeAll(async () => {
    const statements = [
      `CREATE TABLE ${q("Parent")} (${q("A")} INTEGER NOT NULL, ${q("B")} VARCHAR(10) NOT NULL, ${q("Note")} CHAR(3) DEFAULT 'abc', PRIMARY KEY (${q("A")}, ${q("B")}))`,
      `CREATE TABLE ${q("Child")} (${q("Id")} INTEGER PRIMARY KEY, ${q("PA")} INTEGER, ${q("PB")} VARCHAR(10), ${q("Amount")} NUMERIC(7, 3) CHECK (${q("Amount")} > 0), ` +
        `CONSTRAINT ${q("UQ_Child")} UNIQUE (${q("PB")}, ${q("PA")}), ` +
        `CONSTRAINT ${q("FK_Child")} FOREIGN KEY (${q("PA")}, ${q("PB")}) REFERENCES ${q("Parent")} (${q("A")}, ${q("B")}) ON DELETE CASCADE)`,
      `CREATE INDEX ${q("IX_Child_Amount")} ON ${q("Child")} (${q("Amount")}, ${q("Id")})`,
    ];
    for (const statement of statements) await database.execute(orm.raw(statement));
  });

  test("composite keys, named constraints and multi-column indexes keep their column order", async () => {
    const catalog = await readCatalog(database);
    const parent = tableOf(catalog, "Parent");
    const child = tableOf(catalog, "Child");
    expect(parent.primaryKey).toEqual(["A", "B"]);
    expect(parent.columns.find((column) => column.name === "Note")).toMatchObject({ type: { name: "char", length: 3 }, nullable: true });
    expect(parent.columns.find((column) => column.name === "Note")!.default).toMatch(/^'abc'/);
    expect(parent.columns.every((column) => !column.generated)).toBe(true);
    expect(child.foreignKeys).toEqual([
      { name: dialect === "sqlite" ? "" : "FK_Child", columns: ["PA", "PB"], referencedTable: "Parent", referencedColumns: ["A", "B"], onDelete: "CASCADE" },
    ]);
    expect(child.uniques).toEqual([{ name: dialect === "sqlite" ? expect.any(String) : "UQ_Child", columns: ["PB", "PA"] }]);
    expect(child.indexes).toEqual([{ name: "IX_Child_Amount", columns: ["Amount", "Id"], unique: false }]);
    expect(child.columns.find((column) => column.name === "Amount")!.type).toMatchObject({ name: "numeric", precision: 7, scale: 3 });
    expect(child.checks.map((check) => check.expression)).toEqual([expect.stringMatching(/Amount.*>\s*\(?0/)]);
    expect(child.columns.find((column) => column.name === "Id")!.generated).toBe(dialect === "sqlite");
  });

  test("only the tables asked for, or all but those excluded", async () => {
    expect((await readCatalog(database, { tables: ["Child"] })).tables.map((table) => table.name)).toEqual(["Child"]);
    expect((await readCatalog(database, { exclude: ["Child"] })).tables.map((table) => table.name)).toEqual(["Parent"]);
  });
});
