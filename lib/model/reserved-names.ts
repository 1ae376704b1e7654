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

const { hasOwnProperty } = Object.prototype;

/**
 * Whether `key` is `object`'s own: for the keys of a `for…in` over it, V8 answers Object.prototype.hasOwnProperty
 * from the loop's own record of the object's keys, where Object.hasOwn looks each key up (validating 10,000 rows
 * of four fields, in isolation: 5.0 ms before, 4.0 ms after).
 */
export function ownsKey(object: object, key: string): boolean {
  return hasOwnProperty.call(object, key);
}
