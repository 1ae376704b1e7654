/** Keys that reach an object's prototype rather than a value of its own: never a field, a lookup or a value. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Why `name` cannot be a field, or undefined if it can: a field is an accessor on the model's prototype, so a
 * name Object.prototype has (hasOwnProperty, toString, ...) or the instance's own members use would be shadowed
 * or shadow them, and break queries and instances.
 */
export function reservedFieldName(name: string, instanceMembers: ReadonlySet<string>): string | undefined {
  if (PROTOTYPE_KEYS.has(name) || name in Object.prototype) return "Object.prototype has that name";
  if (instanceMembers.has(name)) return "an instance needs that name";
  return undefined;
}
