import { ConnectionError } from "./errors.js";
import { unknownName } from "./suggest.js";

export type DialectName = "sqlite" | "postgresql" | "mysql";

const SCHEMES: Record<string, DialectName> = {
  sqlite: "sqlite",
  postgresql: "postgresql",
  postgres: "postgresql",
  mysql: "mysql",
  mariadb: "mysql",
};

/**
 * A parsed database URL. The password is kept off every printable form: `String(url)`,
 * `util.inspect(url)` and JSON all show `***` in its place.
 */
export class DatabaseURL {
  readonly dialect: DialectName;
  readonly host: string;
  readonly port: number | undefined;
  readonly user: string;
  readonly database: string;
  /** For SQLite: the file path, or ":memory:". */
  readonly filename: string;
  readonly params: Readonly<Record<string, string>>;
  /**
   * Every host of a multi-host URL (`postgresql://h1:5432,h2:5433/db`), tried in order; one for the usual URL.
   * `host` and `port` are the first's.
   */
  readonly hosts: ReadonlyArray<{ readonly host: string; readonly port: number | undefined }> = [];
  readonly #password: string;

  constructor(url: string) {
    if (typeof url !== "string" || url === "") {
      throw new ConnectionError("A database URL is required, e.g. \"sqlite:///db.sqlite\" or \"postgresql://user@host/db\".");
    }
    const schemeEnd = url.indexOf(":");
    const scheme = schemeEnd > 0 ? url.slice(0, schemeEnd).toLowerCase() : "";
    const dialect = SCHEMES[scheme];
    if (!dialect) {
      throw new ConnectionError(
        `Unsupported database URL scheme ${JSON.stringify(scheme || redact(url))}: use one of ${Object.keys(SCHEMES).join(", ")}.`,
      );
    }
    this.dialect = dialect;
    // WHATWG URL parsing drops tabs and newlines silently, which would change a password without a word.
    if (/[\s\u0000-\u001f\u007f]/.test(url)) {
      throw new ConnectionError(`Malformed database URL ${JSON.stringify(redact(url))}: it contains whitespace or a control character; percent-encode it (a space is %20).`);
    }
    if (dialect === "sqlite") {
      const { filename, params } = parseSqlite(url.slice(schemeEnd + 1));
      this.filename = filename;
      this.params = checkedParams(params, dialect);
      this.host = "";
      this.port = undefined;
      this.user = "";
      this.database = filename;
      this.#password = "";
      return;
    }
    // Without "//", WHATWG parsing reads "postgresql:app:pw@host/db" as a path: the password would become a database name.
    if (!url.startsWith("//", schemeEnd + 1)) {
      throw new ConnectionError(`Malformed database URL ${JSON.stringify(redact(url))}: write it as ${scheme}://user:password@host:port/database.`);
    }
    let parsed: URL;
    let others: Array<{ host: string; port: number | undefined }> = [];
    try {
      const { first, rest } = splitHosts(url);
      parsed = new URL(first);
      others = rest.map((address) => {
        // The URL's own scheme, not http's: http would drop a port 80 as its default.
        const host = new URL(`${scheme}://${address}`);
        if (host.username || host.pathname !== "" || host.search || !host.hostname) throw new TypeError(address);
        return { host: unbracketed(host.hostname), port: portOf(host.port, url) };
      });
    } catch (error) {
      if (error instanceof ConnectionError) throw error;
      throw new ConnectionError(`Malformed database URL ${JSON.stringify(redact(url))}.`);
    }
    this.host = unbracketed(decoded(parsed.hostname, "host", url)) || "127.0.0.1";
    this.port = portOf(parsed.port, url);
    this.user = decoded(parsed.username, "user name", url);
    this.#password = decoded(parsed.password, "password", url);
    this.database = decoded(parsed.pathname.replace(/^\//, ""), "database name", url);
    this.filename = "";
    this.params = checkedParams(Object.fromEntries(parsed.searchParams), dialect);
    this.hosts = [{ host: this.host, port: this.port }, ...others];
  }

  /** The same URL with only the `index`th of its hosts (a multi-host URL's failover driver opens one pool per host). */
  forHost(index: number): DatabaseURL {
    const { host, port } = this.hosts[index]!;
    const auth = this.user ? `${encodeURIComponent(this.user)}${this.#password ? `:${encodeURIComponent(this.#password)}` : ""}@` : "";
    const query = new URLSearchParams(this.params as Record<string, string>).toString();
    return new DatabaseURL(`${this.dialect}://${auth}${bracketed(host)}${port ? `:${port}` : ""}/${encodeURIComponent(this.database)}${query ? `?${query}` : ""}`);
  }

  /** The password, for drivers only: never printed. */
  get password(): string {
    return this.#password;
  }

  /** "host:port", for error messages. */
  get address(): string {
    return this.addressOf(0);
  }

  /** "host:port" of the `index`th host (an IPv6 address in brackets), for error messages. */
  addressOf(index: number): string {
    if (this.dialect === "sqlite") return this.filename;
    const { host, port } = this.hosts[index]!;
    return `${bracketed(host)}:${port ?? defaultPort(this.dialect)}`;
  }

  toString(): string {
    if (this.dialect === "sqlite") return `sqlite:///${this.filename}`;
    const auth = this.user ? `${encodeURIComponent(this.user)}${this.#password ? ":***" : ""}@` : "";
    const query = new URLSearchParams(this.params as Record<string, string>).toString();
    const hosts = this.hosts.map(({ host, port }) => `${bracketed(host)}${port ? `:${port}` : ""}`).join(",");
    return `${this.dialect}://${auth}${hosts}/${this.database}${query ? `?${query}` : ""}`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `DatabaseURL(${this.toString()})`;
  }
}

const wholeNumber = (value: string) => (/^\d+$/.test(value) ? undefined : "a whole number of 0 or more");
const positiveNumber = (value: string) => (/^[1-9]\d*$/.test(value) ? undefined : "a whole number of 1 or more");

/** The query parameters a URL may have, each with the check of its value (a description of what it takes where it fails). */
const URL_PARAMETERS: Record<string, (value: string) => string | undefined> = {
  pool_max: positiveNumber,
  pool_min: wholeNumber,
  pool_acquire_timeout_ms: wholeNumber,
  statement_timeout_ms: wholeNumber,
  connect_timeout_ms: wholeNumber,
  keepalive_ms: wholeNumber,
  busy_timeout: wholeNumber,
  schema: (value) => (/^[\w$]+$/.test(value) ? undefined : "a schema name (letters, digits, _ and $)"),
  // A multi-host URL's choice of server (lib/routing/failover.ts), as libpq's.
  target_session_attrs: (value) => (["any", "read-write", "primary", "read-only", "standby"].includes(value) ? undefined : "any, read-write, primary, read-only or standby"),
  // PostgreSQL behind a transaction pooler: no named prepared statements, no session settings.
  pgbouncer: (value) => (value === "true" || value === "false" ? undefined : "true or false"),
  sslmode: (value) => (["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].includes(value) ? undefined : "disable, allow, prefer, require, verify-ca or verify-full"),
};

/** The parameters only some databases' drivers read: elsewhere they would be silently ignored. */
const PARAMETER_DIALECTS: Record<string, readonly DialectName[]> = {
  schema: ["postgresql"],
  pgbouncer: ["postgresql"],
  sslmode: ["postgresql"],
  target_session_attrs: ["postgresql", "mysql"],
  busy_timeout: ["sqlite"],
};

/**
 * Refuses a parameter quarry does not read (`?poolmax=5` would be ignored, as would `?schema=` on MySQL) and a value
 * it cannot use (`?pool_max=abc`).
 */
function checkedParams(params: Record<string, string>, dialect: DialectName): Record<string, string> {
  for (const [name, value] of Object.entries(params)) {
    const check = URL_PARAMETERS[name];
    if (!check) throw new ConnectionError(`The database URL has no parameter ${unknownName(name, Object.keys(URL_PARAMETERS), "").trim()}`);
    const dialects = PARAMETER_DIALECTS[name];
    if (dialects && !dialects.includes(dialect)) {
      throw new ConnectionError(`The database URL's ${name} is for ${dialects.join(" and ")} URLs only: ${dialect} would ignore it`);
    }
    const expected = check(value);
    if (expected) throw new ConnectionError(`The database URL's ${name} must be ${expected}, got ${JSON.stringify(value)}`);
  }
  return params;
}

/** A URL's port: undefined for the dialect's default, a ConnectionError for 0 (no server listens there). */
function portOf(port: string, url: string): number | undefined {
  if (port === "") return undefined;
  if (!/^\d+$/.test(port) || Number(port) === 0) throw new ConnectionError(`Malformed port in database URL ${JSON.stringify(redact(url))}: ${JSON.stringify(port)}.`);
  return Number(port);
}

/** An IPv6 address as drivers connect to it ("::1"), without the brackets a URL writes around it ("[::1]"). */
function unbracketed(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** A host as a URL or an address writes it: an IPv6 address in brackets. */
function bracketed(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function defaultPort(dialect: DialectName): number {
  return dialect === "postgresql" ? 5432 : 3306;
}

/**
 * `sqlite:///rel.db` is relative, `sqlite:////abs.db` absolute (SQLAlchemy's convention),
 * `sqlite::memory:` and `sqlite:///:memory:` in memory.
 */
function parseSqlite(rest: string): { filename: string; params: Record<string, string> } {
  const [location = "", query = ""] = rest.split("?", 2);
  const params = Object.fromEntries(new URLSearchParams(query));
  if (location === ":memory:" || location === "///:memory:" || location === "//:memory:") {
    return { filename: ":memory:", params };
  }
  if (!location.startsWith("///") || location.length === 3) {
    throw new ConnectionError(
      `Malformed SQLite URL "sqlite:${rest}": use "sqlite:///relative.db", "sqlite:////absolute/path.db" or "sqlite::memory:".`,
    );
  }
  return { filename: decoded(location.slice(3), "file name", `sqlite:${rest}`), params };
}

/** A %-encoded part of a URL, decoded; a bad escape is a ConnectionError naming the part, not a URIError. */
function decoded(part: string, what: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch (error) {
    throw new ConnectionError(`Malformed %-escape in the ${what} of database URL ${JSON.stringify(redact(url))}: write a literal % as %25.`, { cause: error });
  }
}

/** A multi-host URL as a one-host URL of its first host, and the other hosts' "host:port" texts. */
function splitHosts(url: string): { first: string; rest: string[] } {
  const start = url.indexOf("//") + 2;
  const authorityEnd = endOfAuthority(url, start);
  const authority = url.slice(start, authorityEnd);
  const at = authority.lastIndexOf("@");
  const [first = "", ...rest] = authority.slice(at + 1).split(",");
  return { first: url.slice(0, start + at + 1) + first + url.slice(authorityEnd), rest };
}

/**
 * Replaces the password of a URL-like string, for messages about URLs we could not parse: whatever lies between
 * the user's ":" and the last "@" (a malformed password may hold anything, "@" and spaces included).
 */
export function redact(text: string): string {
  const slashes = text.indexOf("//");
  // After "scheme://", or after "scheme:" where the slashes were left out.
  const start = slashes >= 0 ? slashes + 2 : text.indexOf(":") + 1;
  const at = text.lastIndexOf("@");
  if (at >= start) {
    const colon = text.indexOf(":", start);
    return colon < 0 || colon > at ? text : `${text.slice(0, colon + 1)}***${text.slice(at)}`;
  }
  // No "@": "user:password/db" reads as a host with a port that is no number; each such "port" may be a password.
  // An IPv6 address's own colons, inside its brackets, are left as they are.
  const authorityEnd = endOfAuthority(text, start);
  const hosts = text
    .slice(start, authorityEnd)
    .split(",")
    .map((host) => {
      const address = host.lastIndexOf("]") + 1;
      return host.slice(0, address) + host.slice(address).replace(/(:)(?!\d*$)(.*)$/, "$1***");
    });
  return `${text.slice(0, start)}${hosts.join(",")}${text.slice(authorityEnd)}`;
}

/** Where the authority (user, password, hosts) that starts at `start` ends: at the path, the query or the fragment. */
function endOfAuthority(text: string, start: number): number {
  const end = text.slice(start).search(/[/?#]/);
  return end < 0 ? text.length : start + end;
}
