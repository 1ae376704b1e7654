import { extname } from "node:path";
import { pathToFileURL } from "node:url";

let typescriptLoader: Promise<unknown> | undefined;

/**
 * Imports a module by path; TypeScript through tsx's loader hooks, registered once per process, so config,
 * model and migration files need no build step.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  if (/\.[cm]?tsx?$/.test(extname(file))) {
    // Both hooks: in a package without "type": "module", tsx compiles .ts files to CommonJS, which require() each other.
    typescriptLoader ??= Promise.all([import("tsx/esm/api").then(({ register }) => register()), import("tsx/cjs/api").then(({ register }) => register())]);
    await typescriptLoader;
  }
  const namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  // A module compiled to CommonJS arrives as { default: module.exports }, its own default inside that.
  const commonjs = namespace.default as Record<string, unknown> | undefined;
  return commonjs && typeof commonjs === "object" && commonjs.__esModule ? commonjs : namespace;
}
