import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

interface ColumnInfo {
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}

interface IndexInfo {
  unique: boolean;
  columns: string[];
}

/** What the database itself says about a table: information_schema / pg_catalog / SQLite pragmas. */
const INTROSPECT: Record<orm.DialectName, { columns(database: orm.Database, table: string): Promise<Record<string, ColumnInfo>>; indexes(database: orm.Database, table: string): Promise<IndexInfo[]> }> = {
  sqlite: {
    async columns(database, table) {
      const rows = await database.query(orm.sql`SELECT name, type, "notnull" AS nn, dflt_value, pk FROM pragma_table_info(${table})`);
      return Object.fromEntries(rows.map((row) => [row.name, { type: String(row.type), nullable: row.nn === 0 && row.pk === 0, hasDefault: row.dflt_value !== null }]));
    },
    async indexes(database, table) {
      const list = await database.query(orm.sql`SELECT name, "unique" AS u, origin FROM pragma_index_list(${table}) WHERE origin <> 'pk'`);
      return Promise.all(
        list.map(async (index) => ({
          unique: index.u === 1,
          columns: (await database.query(orm.sql`SELECT name FROM pragma_index_info(${index.name})`)).map((column) => String(column.name)),
        })),
      );
    },
  },
  postgresql: {
    async columns(database, table) {
      const rows = await database.query(orm.sql`
        SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, d.adbin IS NOT NULL OR a.attidentity <> '' AS has_default
        FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = to_regclass(${table}) AND a.attnum > 0 AND NOT a.attisdropped`);
      return Object.fromEntries(rows.map((row) => [row.name, { type: String(row.type), nullable: !row.notnull, hasDefault: row.has_default === true }]));
    },
    async indexes(database, table) {
      const rows = await database.query(orm.sql`
        SELECT i.indisunique AS is_unique, array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey) AS k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k), ',') AS cols
        FROM pg_index i WHERE i.indrelid = to_regclass(${table}) AND NOT i.indisprimary`);
      return rows.map((row) => ({ unique: row.is_unique === true, columns: String(row.cols).split(",") }));
    },
  },
  mysql: {
    async columns(database, table) {
      const rows = await database.query(orm.sql`
        SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt, EXTRA AS extra
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table}`);
      return Object.fromEntries(
        rows.map((row) => [row.name, { type: String(row.type), nullable: row.nullable === "YES", hasDefault: (row.dflt !== null && row.dflt !== "NULL") || String(row.extra).includes("auto_increment") }]),
      );
    },
    async indexes(database, table) {
      const rows = await database.query(orm.sql`
        SELECT INDEX_NAME AS name, NON_UNIQUE AS non_unique, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols
        FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND INDEX_NAME <> 'PRIMARY'
        GROUP BY INDEX_NAME, NON_UNIQUE`);
      return rows.map((row) => ({ unique: Number(row.non_unique) === 0, columns: String(row.cols).split(",") }));
    },
  },
};

/** The column types the README's table promises, as each database reports them. */
const EXPECTED_TYPES: Record<orm.DialectName, Record<string, string | RegExp>> = {
  sqlite: {
    id: "INTEGER", name: "VARCHAR(80)", sku: "VARCHAR(20)", qty: "INTEGER", price: "NUMERIC(10, 2)", active: "INTEGER",
    notes: "TEXT", kind: "VARCHAR(6)", released: "TEXT", opens: "TEXT", at: "TEXT", data: "TEXT", uid: "TEXT",
    big: "INTEGER", ratio: "REAL", label_col: "VARCHAR(255)",
  },
  postgresql: {
    id: "integer", name: "character varying(80)", sku: "character varying(20)", qty: "integer", price: "numeric(10,2)", active: "boolean",
    notes: "text", kind: "character varying(6)", released: "date", opens: "time(0) without time zone", at: "timestamp(3) with time zone",
    data: "jsonb", uid: "uuid", big: "bigint", ratio: "double precision", label_col: "character varying(255)",
  },
  mysql: {
    id: /^int(\(11\))?$/, name: "varchar(80)", sku: "varchar(20)", qty: /^int(\(11\))?$/, price: "decimal(10,2)", active: "tinyint(1)",
    notes: "longtext", kind: "varchar(6)", released: "date", opens: "time", at: "datetime(3)", data: /^(json|longtext)$/, uid: "char(36)",
    big: /^bigint(\(20\))?$/, ratio: "double", label_col: "varchar(255)",
  },
};

describeEachDialect("schema", ({ database, dialect }) => {
  const Gadget = orm.Model.define(
    "Gadget",
    {
      name: orm.String({ maxLength: 80, unique: true }),
      sku: orm.String({ maxLength: 20, index: true }),
      qty: orm.Integer({ default: 0 }),
      price: orm.Decimal({ maxDigits: 10, decimalPlaces: 2, default: "9.99" }),
      active: orm.Boolean({ default: true }),
      notes: orm.Text({ allowNull: true }),
      kind: orm.Enum(["small", "medium", "large"], { default: "medium" }),
      released: orm.Date({ allowNull: true }),
      opens: orm.Time({ allowNull: true }),
      at: orm.DateTime({ allowNull: true }),
      data: orm.JSON({ allowNull: true }),
      uid: orm.UUID({ allowNull: true }),
      big: orm.BigInteger({ allowNull: true }),
      ratio: orm.Float({ allowNull: true }),
      label: orm.String({ column: "label_col", default: "none" }),
    },
    { database },
  );
  const introspect = INTROSPECT[dialect];

  beforeAll(() => database.createAll());

  test("every column gets the type the README promises", async () => {
    const columns = await introspect.columns(database, "gadget");
    expect(Object.keys(columns).sort()).toEqual(Object.keys(EXPECTED_TYPES[dialect]).sort());
    for (const [name, type] of Object.entries(EXPECTED_TYPES[dialect])) {
      if (typeof type === "string") expect(columns[name]!.type, name).toBe(type);
      else expect(columns[name]!.type, name).toMatch(type);
    }
  });

  test("NOT NULL unless allowNull, and a DEFAULT for every static default", async () => {
    const columns = await introspect.columns(database, "gadget");
    const nullable = ["notes", "released", "opens", "at", "data", "uid", "big", "ratio"];
    for (const [name, column] of Object.entries(columns)) expect(column.nullable, name).toBe(nullable.includes(name));
    for (const name of ["qty", "price", "active", "kind", "label_col"]) expect(columns[name]!.hasDefault, name).toBe(true);
    for (const name of ["name", "sku"]) expect(columns[name]!.hasDefault, name).toBe(false);
  });

  test("the DEFAULTs are the declared values: a raw INSERT of the required columns reads back as the model's defaults", async () => {
    await database.execute(orm.sql`INSERT INTO gadget (name, sku) VALUES (${"raw"}, ${"R-1"})`);
    const gadget = await Gadget.objects.get({ name: "raw" });
    expect(gadget).toMatchObject({ qty: 0, price: "9.99", active: true, kind: "medium", label: "none", notes: null, data: null });
  });

  test("unique and index options make a UNIQUE index and a plain index, nothing more", async () => {
    const indexes = await introspect.indexes(database, "gadget");
    expect(indexes.filter((index) => index.unique).map((index) => index.columns)).toEqual([["name"]]);
    expect(indexes.filter((index) => !index.unique).map((index) => index.columns)).toEqual([["sku"]]);
  });

  test("an Enum is checked by the database too", async () => {
    expect(await errorOf(() => database.execute(orm.sql`INSERT INTO gadget (name, sku, kind) VALUES (${"bad"}, ${"B"}, ${"huge"})`))).toBeInstanceOf(
      orm.IntegrityError,
    );
  });

  test("createAll() is idempotent and keeps the rows", async () => {
    await Gadget.objects.create({ name: "kept", sku: "K-1" });
    const before = await Gadget.objects.count();
    await database.createAll();
    await database.createAll();
    expect(await Gadget.objects.count()).toBe(before);
    expect((await introspect.indexes(database, "gadget")).length).toBe(2);
  });

  test("dropAll() drops every table, is idempotent, and createAll() brings them back empty", async () => {
    await database.dropAll();
    expect(await introspect.columns(database, "gadget")).toEqual({});
    expect(await errorOf(() => Gadget.objects.count())).toBeInstanceOf(orm.DatabaseError);
    await database.dropAll();
    await database.createAll();
    expect(await Gadget.objects.count()).toBe(0);
    expect(Object.keys(await introspect.columns(database, "gadget"))).toHaveLength(16);
  });
});
