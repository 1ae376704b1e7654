/** A value as TypeScript source a person reads in a migration file: object literals, bare keys where they can be. */
export function serialize(value: unknown, indent = ""): string {
  if (value === undefined) return "undefined";
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Date) return `new Date(${JSON.stringify(value.toISOString())})`;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = value.map((item) => serialize(item, inner));
    const oneLine = `[${items.join(", ")}]`;
    return oneLine.length <= 80 && !oneLine.includes("\n") ? oneLine : `[\n${items.map((item) => `${inner}${item},`).join("\n")}\n${indent}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return "{}";
    const items = entries.map(([key, item]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}: ${serialize(item, inner)}`);
    const oneLine = `{ ${items.join(", ")} }`;
    return oneLine.length <= 100 && !oneLine.includes("\n") ? oneLine : `{\n${items.map((item) => `${inner}${item},`).join("\n")}\n${indent}}`;
  }
  throw new TypeError(`A migration cannot hold ${typeof value} values`);
}
