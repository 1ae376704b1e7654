export { readCatalog, type Catalog, type ReadCatalogOptions } from "./catalog.js";
export type {
  CheckSchema,
  ColumnSchema,
  ColumnTypeSchema,
  ForeignKeySchema,
  IndexSchema,
  ReferentialAction,
  TableSchema,
  TypeName,
  UniqueSchema,
} from "../dialects/catalog.js";
export { compareCatalogs, typeText, type CatalogDifference } from "./compare.js";
