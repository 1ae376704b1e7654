/**
 * Functions made from source text, for the loops that run once per row of a many-row call (bulkCreate's checks
 * and encoding): straight-line code over a row's fields gives V8 one call site per field, which it inlines, where
 * a loop over the fields calls every kind of check or codec from one site, which it cannot. Callers put only
 * numbers and booleans in the text; names, fields and codecs are the function's arguments.
 */

/** False once the process refused code from strings (node --disallow-code-generation-from-strings, a CSP). */
let allowed = true;

/** Whether code from strings may still work here: where it may not, callers take their general path at once. */
export function compilesFromStrings(): boolean {
  return allowed;
}

/** `body` run with `args` as `parameters` (it returns the function wanted); undefined where code from strings is refused. */
export function compiledFromStrings<F>(parameters: readonly string[], body: string, args: readonly unknown[]): F | undefined {
  if (!allowed) return undefined;
  try {
    return new Function(...parameters, body)(...args) as F;
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    allowed = false;
    return undefined;
  }
}
