import { FROM_DATABASE, META, PARTIAL_FROM_DATABASE, rowInstance, rowMaker, rowState, slotsOf, type RowSource } from "../model/instance.js";
import type { Database } from "../database.js";
import type { ModelMeta } from "../model/meta.js";
import type { ModelClass } from "../model/model.js";
import { decodeValue, type AnnotatedColumn, type QueryState, type RelatedColumns, type SelectedColumn } from "./compiler.js";
import type { CompiledSelect } from "./statement-cache.js";

/** One selectRelated slice of a row, planned once per select list. */
interface RelatedPlan {
  readonly node: RelatedColumns;
  /** Row index of its primary key: null there means no related row. */
  readonly pkIndex: number;
  /** Row index of the foreign key in its parent's slice (-1 if the parent did not read it). */
  readonly keyIndex: number;
  readonly keyColumn: SelectedColumn | undefined;
  /** Which of its own columns a deeper slice fills instead. */
  readonly filled: readonly boolean[];
}

/** Readers by the select list they read: a reused SELECT (the statement cache keeps its list) is planned once. */
type Readers = WeakMap<readonly SelectedColumn[], { model: ModelClass; source: RowSource; read: (row: readonly unknown[]) => object }>;
const readers: Readers = new WeakMap();
/** Likewise for the rows read from a database other than their model's, which remember it: by that database. */
const awayReaders = new WeakMap<Database, Readers>();

/**
 * The driver's array of rows as the array of what `read` makes of each, in place: the array is ours, and a second one
 * grown row by row cost MariaDB's prefetch of 1,440 rows 17 µs of CPU.
 */
export function readRows<T>(rows: unknown[], read: (row: readonly unknown[]) => T): T[] {
  for (let index = 0; index < rows.length; index++) rows[index] = read(rows[index] as unknown[]);
  return rows as T[];
}

/** How the rows of a SELECT compiled from `state` become instances of `model`; `away`: read from that database, not the model's. */
export function selectReader(model: ModelClass, state: QueryState, select: CompiledSelect, away?: Database): (row: readonly unknown[]) => object {
  const source = state.fields ? PARTIAL_FROM_DATABASE : FROM_DATABASE;
  let cache = readers;
  if (away !== undefined) {
    cache = awayReaders.get(away)!;
    if (!cache) awayReaders.set(away, (cache = new WeakMap()));
  }
  const known = cache.get(select.columns);
  if (known?.model === model && known.source === source) return known.read;
  const read = rowHydrator(model, select.columns, select.related, select.annotations, source, away);
  cache.set(select.columns, { model, source, read });
  return read;
}

/**
 * What turns each row of a SELECT (read by position) into an instance, and each selectRelated slice of it
 * into the instance its parent points at. Planned once per select list; a foreign key that a joined row fills is
 * not decoded first (it holds its key, which reads as the stub, or null, only when the joined row is missing).
 */
function rowHydrator(
  model: ModelClass,
  columns: readonly SelectedColumn[],
  related: readonly RelatedColumns[],
  annotations: readonly AnnotatedColumn[],
  source: RowSource,
  away: Database | undefined,
): (row: readonly unknown[]) => object {
  const meta = model[META];
  const make = rowMaker(model, rowState(source, away));
  const childState = rowState(FROM_DATABASE, away);
  if (related.length === 0 && annotations.length === 0) {
    // A row holding every field, in order, becomes the instance's slots itself: the driver's array is ours to keep.
    if (columns.length === meta.fields.length && columns.every((column, index) => column.field.slot === index)) {
      return (row) => make(decodeInPlace(columns, row as unknown[]));
    }
    return (row) => make(decodeSlice(meta, columns, row, 0, undefined));
  }
  const slices = [{ columns, offset: 0 }, ...related];
  const filledBy = (slice: number) => {
    const filled = slices[slice]!.columns.map(() => false);
    for (const node of related) {
      if (node.parent + 1 !== slice) continue;
      const index = slices[slice]!.columns.findIndex((column) => column.field === node.field);
      if (index >= 0) filled[index] = true;
    }
    return filled;
  };
  const rootFilled = filledBy(0);
  const plans: RelatedPlan[] = related.map((node, index) => {
    const parent = slices[node.parent + 1]!;
    const keyAt = parent.columns.findIndex((column) => column.field === node.field);
    return {
      node,
      pkIndex: node.offset + node.columns.findIndex((column) => column.field.primaryKey),
      keyIndex: keyAt < 0 ? -1 : parent.offset + keyAt,
      keyColumn: parent.columns[keyAt],
      filled: filledBy(index + 1),
    };
  });
  return (row) => {
    const instance = make(decodeSlice(meta, columns, row, 0, rootFilled));
    // Annotations are plain properties beside the fields (annotate() refuses a field's name).
    for (const annotation of annotations) (instance as Record<string, unknown>)[annotation.name] = annotation.decode(row[annotation.index]);
    if (plans.length === 0) return instance;
    const built: (object | null)[] = [];
    for (const plan of plans) {
      const parent = plan.node.parent === -1 ? instance : built[plan.node.parent];
      if (!parent) {
        built.push(null);
        continue;
      }
      if (row[plan.pkIndex] === null) {
        // No joined row: the key reads as it would without selectRelated (null, or a stub).
        if (plan.keyColumn) slotsOf(parent)[plan.node.field.slot] = decodeValue(plan.keyColumn.decode, row[plan.keyIndex]);
        built.push(null);
        continue;
      }
      const target = plan.node.steps[plan.node.steps.length - 1]!.to;
      const child = rowInstance(target.model, decodeSlice(target, plan.node.columns, row, plan.node.offset, plan.filled), FROM_DATABASE, childState);
      slotsOf(parent)[plan.node.field.slot] = child;
      built.push(child);
    }
    return instance;
  };
}

/**
 * One slice of a row as an instance's slots; a column a joined row fills is left for it, undecoded. Fields
 * not selected (only(), defer()) are UNLOADED.
 */
function decodeSlice(meta: ModelMeta, columns: readonly SelectedColumn[], row: readonly unknown[], offset: number, filled: readonly boolean[] | undefined): unknown[] {
  const slots = columns.length < meta.fields.length ? meta.unloadedSlots.slice() : new Array<unknown>(meta.fields.length);
  for (let index = 0; index < columns.length; index++) {
    const column = columns[index]!;
    slots[column.field.slot] = filled?.[index] ? undefined : decodeValue(column.decode, row[offset + index]);
  }
  return slots;
}

function decodeInPlace(columns: readonly SelectedColumn[], row: unknown[]): unknown[] {
  for (let index = 0; index < columns.length; index++) row[index] = decodeValue(columns[index]!.decode, row[index]);
  return row;
}
