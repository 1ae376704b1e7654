/**
 * quarry with a read replica configured: the same server under a second pool, so that reads cost the server what
 * they cost without it and the difference is what routing costs the client (picking a healthy replica, the scope
 * and onPrimary checks, the fallback wrapper). `npm run cpu -- --tool quarry,quarry-replicas --workload get-by-pk`.
 */
import type { DbConfig } from "../config.js";
import QuarryAdapter from "./quarry.js";

export default class QuarryReplicasAdapter extends QuarryAdapter {
  override readonly name: string = "quarry-replicas";

  protected override databaseOptions(cfg: DbConfig): Record<string, unknown> {
    return { ...super.databaseOptions(cfg), replicas: [cfg.url] };
  }
}
