import * as orm from "../../lib/index.js";
import type { DialectName } from "../../lib/index.js";
import { readCatalog, type Catalog } from "../../lib/schema/index.js";
import { placeFor } from "./databases.js";

/** The quarry.config.js of a test project whose models.js exports `database` and its models. */
export const CONFIG_MODULE = `import { database } from "./models.js";\nexport default { database, models: ["./models.js"] };\n`;

/** A test project's models.js: `source` defines models on a database read from QUARRY_DATABASE_URL. */
export function modelsModule(source: string): string {
  return `import * as orm from "quarry";\nexport const database = new orm.Database(process.env.QUARRY_DATABASE_URL);\n${source}\n`;
}

/** The schema createAll() makes for the models `source` defines, read back from a fresh, empty place. */
export async function createAllCatalog(dialect: DialectName, source: string, tag: string): Promise<Catalog> {
  const place = placeFor(dialect, tag);
  await place.create();
  const database = new orm.Database(place.url);
  try {
    new Function("orm", "database", source.replace(/export const /g, "const "))(orm, database);
    await database.createAll();
    return await readCatalog(database);
  } finally {
    await database.disconnect();
    await place.destroy();
  }
}
