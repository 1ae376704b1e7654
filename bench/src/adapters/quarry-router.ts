/**
 * quarry with a router that has no opinion (read and write return undefined): every statement asks it and then
 * runs where it would without one, so the difference from quarry is what routing costs the client (the router's
 * call, the check of its answer, the instance's database). `npm run cpu -- --tool quarry,quarry-router --workload get-by-pk`.
 */
import type { DbConfig } from "../config.js";
import QuarryAdapter from "./quarry.js";

export default class QuarryRouterAdapter extends QuarryAdapter {
  override readonly name: string = "quarry-router";

  protected override databaseOptions(cfg: DbConfig): Record<string, unknown> {
    return { ...super.databaseOptions(cfg), router: { read: () => undefined, write: () => undefined } };
  }
}
