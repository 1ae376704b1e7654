/** Words of a database name: "invoice_line", "InvoiceLine", "invoice line" and "INVOICE_LINE" all give invoice, line. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** "invoice_line" → "InvoiceLine": a model's name for a table. */
export function pascalCase(name: string): string {
  const joined = words(name).map(capitalised).join("");
  return /^[A-Za-z]/.test(joined) ? joined : `T${joined}`;
}

/** "AlbumId" → "albumId", "ID" → "id": a field's name for a column. */
export function camelCase(name: string): string {
  const [first = "", ...rest] = words(name);
  const joined = first + rest.map(capitalised).join("");
  return /^[A-Za-z]/.test(joined) ? joined : `f${joined}`;
}

/** JavaScript's reserved words, which a class may not be called. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for function if " +
    "import in instanceof new null return super switch this throw true try typeof var void while with yield let static " +
    "implements interface package private protected public await"
  ).split(" "),
);

/** `name`, or `name` + `suffix` when it is taken, numbered when that is taken too. */
export function freeName(name: string, taken: ReadonlySet<string>, suffix: string): string {
  const base = taken.has(name) ? `${name}${suffix}` : name;
  let candidate = base;
  for (let counter = 2; taken.has(candidate); counter++) candidate = `${base}${counter}`;
  return candidate;
}
