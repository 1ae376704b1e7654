import { connect, createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import * as orm from "../lib/index.js";
import { DIALECTS, SERVER_URLS } from "./helpers/databases.js";

/** Multi-host URLs on the shared servers: a dead first host, and roles that fit or not. tests/cluster/failover promotes a standby. */
describe("multi-host URLs", () => {
  it("parse every host in order, print them with the password hidden, and give each host a URL of its own", () => {
    const url = new orm.DatabaseURL("postgresql://app:s3cret@db1:5432,db2:5433,[::1]/shop?target_session_attrs=read-write");
    // An IPv6 address as the drivers connect to it: without the URL's brackets.
    expect(url.hosts).toEqual([
      { host: "db1", port: 5432 },
      { host: "db2", port: 5433 },
      { host: "::1", port: undefined },
    ]);
    expect([url.host, url.port, url.database]).toEqual(["db1", 5432, "shop"]);
    expect(String(url)).toBe("postgresql://app:***@db1:5432,db2:5433,[::1]/shop?target_session_attrs=read-write");
    const second = url.forHost(1);
    expect([second.host, second.port, second.password, second.hosts.length]).toEqual(["db2", 5433, "s3cret", 1]);
    const third = url.forHost(2);
    expect([third.host, third.address, String(third)]).toEqual(["::1", "[::1]:5432", "postgresql://app:***@[::1]/shop?target_session_attrs=read-write"]);
    expect(new orm.DatabaseURL("mysql://root@[::1]:3307/test").host).toBe("::1");
  });

  it("keep every host's port as written, 80 too, and refuse port 0", () => {
    expect(new orm.DatabaseURL("postgresql://db1:1,db2:80/x").hosts).toEqual([{ host: "db1", port: 1 }, { host: "db2", port: 80 }]);
    expect(String(new orm.DatabaseURL("mysql://db1:1,db2:80/x"))).toBe("mysql://db1:1,db2:80/x");
    for (const text of ["postgresql://db1:0/x", "postgresql://db1:5432,db2:0/x", "mysql://u:s3cret@db1,db2:0/x"]) {
      expect(() => new orm.DatabaseURL(text), text).toThrow(/Malformed port/);
      expect(() => new orm.DatabaseURL(text), text).not.toThrow(/s3cret/);
    }
  });

  it("refuse a host list with something other than hosts in it, without printing the password", () => {
    expect(() => new orm.DatabaseURL("mysql://root:s3cret@h1:3306,h2:x/test")).toThrow(/Malformed database URL/);
    expect(() => new orm.DatabaseURL("mysql://root:s3cret@h1:3306,h2:x/test")).not.toThrow(/s3cret/);
  });
});

for (const dialect of DIALECTS.filter((name) => name !== "sqlite") as Array<"postgresql" | "mysql">) {
  describe(`multi-host URLs [${dialect}]`, () => {
    const server = new orm.DatabaseURL(SERVER_URLS[dialect]);
    const withHosts = (hosts: string, params = "") => {
      const auth = server.user ? `${server.user}${server.password ? ":s3cret-not-used" : ""}@` : "";
      return `${dialect}://${auth}${hosts}/${server.database}${params}`;
    };
    const live = `${server.host}:${server.port}`;

    it("skip a host that refuses connections and use the next one that takes writes", async () => {
      const database = new orm.Database(withHosts(`127.0.0.1:1,${live}`));
      try {
        const port = dialect === "postgresql" ? orm.sql`SELECT inet_server_port() AS port` : orm.sql`SELECT @@port AS port`;
        expect(Number((await database.query(port))[0]!.port)).toBe(server.port);
        await database.transaction(async (tx) => expect(await tx.query(orm.sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]));
      } finally {
        await database.disconnect();
      }
    });

    it("fail with ConnectionError naming every host and why, when none has the role asked for", async () => {
      const database = new orm.Database(withHosts(`127.0.0.1:1,${live}`, "?target_session_attrs=read-only"));
      try {
        const error = await database.query(orm.sql`SELECT 1 AS one`).then(() => undefined, (failure: unknown) => failure);
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect((error as Error).message).toMatch(/127\.0\.0\.1:1: .*; .* takes writes/);
        expect((error as Error).message).not.toMatch(/s3cret/);
      } finally {
        await database.disconnect();
      }
    });

    it("connect to an IPv6 host, alone or after a dead one (the URL's brackets are not the host's)", async () => {
      // A forwarder on ::1 to the shared server, which listens on 127.0.0.1 only.
      const forwarder = createServer((client) => {
        const upstream = connect(server.port!, server.host);
        client.pipe(upstream).pipe(client);
        client.on("error", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
      });
      await new Promise<void>((resolve) => forwarder.listen(0, "::1", resolve));
      const { port } = forwarder.address() as AddressInfo;
      try {
        for (const hosts of [`[::1]:${port}`, `127.0.0.1:1,[::1]:${port}`]) {
          const database = new orm.Database(withHosts(hosts));
          try {
            expect(await database.query(orm.sql`SELECT 1 AS one`), hosts).toEqual([{ one: 1 }]);
          } finally {
            await database.disconnect();
          }
        }
      } finally {
        forwarder.close();
      }
    });

    it("check the role of a single host too when target_session_attrs asks for one: no write reaches a primary asked not to", async () => {
      const database = new orm.Database(withHosts(live, "?target_session_attrs=read-only"));
      try {
        const error = await database.query(orm.sql`SELECT 1 AS one`).then(() => undefined, (failure: unknown) => failure);
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect((error as Error).message).toMatch(/is a read-only standby .*takes writes/);
      } finally {
        await database.disconnect();
      }
      const primary = new orm.Database(withHosts(live, "?target_session_attrs=read-write"));
      try {
        expect(await primary.query(orm.sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
      } finally {
        await primary.disconnect();
      }
    });

    it("say what no host did when any host would have done", async () => {
      const database = new orm.Database(withHosts("127.0.0.1:1,127.0.0.1:2", "?target_session_attrs=any"));
      try {
        const error = await database.query(orm.sql`SELECT 1 AS one`).then(() => undefined, (failure: unknown) => failure);
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect((error as Error).message).toMatch(/is answering \(target_session_attrs=any\): 127\.0\.0\.1:1: .*; 127\.0\.0\.1:2: /);
      } finally {
        await database.disconnect();
      }
    });

    it("refuse an unknown target_session_attrs, listing the known ones", () => {
      expect(() => new orm.Database(withHosts(`${live},${live}`, "?target_session_attrs=prefer-standby"))).toThrow(/target_session_attrs must be any, read-write.*got "prefer-standby"/);
    });
  });
}
