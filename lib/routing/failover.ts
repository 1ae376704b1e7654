import type { Dialect } from "../dialects/index.js";
import type { Connection, Driver, DriverOptions, Row } from "../drivers/driver.js";
import { ConnectionError } from "../errors.js";
import type { DatabaseURL } from "../url.js";

/** Which server of a multi-host URL to use (`?target_session_attrs=`, as libpq): any, the one taking writes, or a standby. */
type SessionTarget = "any" | "read-write" | "read-only";

const TARGETS: Record<string, SessionTarget> = {
  any: "any",
  "read-write": "read-write",
  primary: "read-write",
  "read-only": "read-only",
  standby: "read-only",
};

/** The URL's target_session_attrs (checked by DatabaseURL); with nothing said, the server taking writes, since quarry writes through it. */
function sessionTarget(url: DatabaseURL): SessionTarget {
  return TARGETS[url.params.target_session_attrs ?? "read-write"]!;
}

/**
 * The driver of a multi-host URL: a pool per host, opened as needed, and the first host (in the URL's order) whose
 * role fits `target_session_attrs` serving every connection. When that server goes away (a connection lost or
 * refused) or stops taking writes (a standby promoted elsewhere, a primary demoted), the hosts are tried again in
 * order at the next acquire: after a failover, writes reach the new primary without a restart.
 */
export class FailoverDriver implements Driver {
  readonly #url: DatabaseURL;
  readonly #dialect: Dialect;
  readonly #options: DriverOptions;
  readonly #target: SessionTarget;
  readonly #drivers = new Map<number, Driver>();
  readonly #owners = new WeakMap<Connection, Driver>();
  #current: Driver | undefined;
  #resolving: Promise<Driver> | undefined;

  constructor(url: DatabaseURL, dialect: Dialect, options: DriverOptions) {
    this.#url = url;
    this.#dialect = dialect;
    this.#options = options;
    this.#target = sessionTarget(url);
  }

  async connect(): Promise<void> {
    await this.#server();
  }

  async acquire(): Promise<Connection> {
    const driver = await this.#server();
    try {
      const connection = await driver.acquire();
      this.#owners.set(connection, driver);
      return connection;
    } catch (error) {
      this.#lost(driver, error);
      throw error;
    }
  }

  release(connection: Connection, failure?: unknown): void {
    const driver = this.#owners.get(connection);
    if (!driver) return;
    driver.release(connection, failure);
    if (failure !== undefined) this.#lost(driver, failure);
  }

  /** Forgets the chosen server when `error` says it is gone or out of service: the next acquire looks again. */
  #lost(driver: Driver, error: unknown): void {
    if (this.#current !== driver) return;
    if (error instanceof ConnectionError || this.#dialect.serverRole?.outOfService(error)) this.#current = undefined;
  }

  #server(): Promise<Driver> {
    if (this.#current) return Promise.resolve(this.#current);
    this.#resolving ??= this.#find().finally(() => (this.#resolving = undefined));
    return this.#resolving;
  }

  async #find(): Promise<Driver> {
    const reasons: string[] = [];
    for (let index = 0; index < this.#url.hosts.length; index++) {
      const address = this.#url.addressOf(index);
      try {
        const driver = await this.#driver(index);
        const writable = await this.#writable(driver);
        if (this.#target === "any" || writable === (this.#target === "read-write")) {
          this.#current = driver;
          return driver;
        }
        reasons.push(`${address} ${writable ? "takes writes" : "is read-only"}`);
      } catch (error) {
        reasons.push(`${address}: ${(error as Error).message ?? String(error)}`);
      }
    }
    const wanted = { any: "answering", "read-write": "taking writes", "read-only": "a read-only standby" }[this.#target];
    throw new ConnectionError(`No server of ${this.#url} is ${wanted} (target_session_attrs=${this.#target}): ${reasons.join("; ")}`);
  }

  async #driver(index: number): Promise<Driver> {
    let driver = this.#drivers.get(index);
    if (!driver) {
      driver = await this.#dialect.createDriver(this.#url.forHost(index), this.#options);
      this.#drivers.set(index, driver);
    }
    await driver.connect();
    return driver;
  }

  /** Asks the server whether it takes writes (pg_is_in_recovery(), @@read_only). */
  async #writable(driver: Driver): Promise<boolean> {
    const role = this.#dialect.serverRole;
    if (!role) return true;
    const connection = await driver.acquire();
    let failure: unknown;
    try {
      const { rows } = await connection.query({ text: this.#dialect.text(role.statement), values: role.statement.values });
      return role.writable(rows as Row[]);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      driver.release(connection, failure);
    }
  }

  terminate(): void {
    for (const driver of this.#drivers.values()) driver.terminate?.();
  }

  async close(): Promise<void> {
    const drivers = [...this.#drivers.values()];
    this.#drivers.clear();
    this.#current = undefined;
    await Promise.all(drivers.map((driver) => driver.close().catch(() => {})));
  }

  stats(): { total: number; idle: number; waiting: number } {
    return this.#current?.stats() ?? { total: 0, idle: 0, waiting: 0 };
  }
}
