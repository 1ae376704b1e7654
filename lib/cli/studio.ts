import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { admin } from "../admin/admin.js";
import { cookies } from "../admin/security.js";
import { CliError, EXIT_OK, EXIT_USAGE, type Command } from "./command.js";
import { loadProject } from "./config.js";

const SESSION_COOKIE = "quarry_studio";

function same(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * `quarry studio`: the admin for the configured database on 127.0.0.1, for local use. The printed link carries a
 * one-time token: opening it gives that browser a session cookie and the token is spent, so the link in a
 * terminal's scrollback or a shell history opens nothing later.
 */
export const studioCommand: Command = {
  name: "studio",
  summary: "Serve the admin for the configured database on 127.0.0.1, behind a one-time link printed here",
  options: {
    port: { type: "string", description: "Port to listen on (default 8300; 0 picks a free one)", placeholder: "port" },
  },
  maxPositionals: 0,
  async run({ io, config, values }) {
    const port = Number(values.port ?? 8300);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port needs a port number, got ${JSON.stringify(values.port)}`, EXIT_USAGE);
    const project = await loadProject({ cwd: io.cwd, configPath: config, env: io.env });
    const { database, models } = project;
    let token: string | undefined = randomBytes(24).toString("hex");
    const session = randomBytes(32).toString("hex");
    const signedIn = (request: IncomingMessage) => same(cookies(request).get(SESSION_COOKIE) ?? "", session);
    const handle = admin({ database, models: models.map((meta) => meta.model), auth: (request) => (signedIn(request) ? { username: "studio" } : null) });
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const offered = url.searchParams.get("token");
      if (offered !== null) {
        if (token === undefined || !same(offered, token)) {
          response.statusCode = 401;
          response.end("This link was already used or is wrong: start quarry studio again for a new one.\n");
          return;
        }
        token = undefined;
        response.statusCode = 303;
        response.setHeader("Set-Cookie", `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict`);
        response.setHeader("Location", "/");
        response.end();
        return;
      }
      void handle(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) => reject(new CliError(`quarry studio could not listen on 127.0.0.1:${port}: ${error.message}`, undefined, { cause: error })));
      server.listen(port, "127.0.0.1", resolve);
    });
    const { port: listening } = server.address() as AddressInfo;
    io.stdout.write(`quarry studio: the admin of ${database.url} for ${models.length} models\nOpen (once, the link works one time): http://127.0.0.1:${listening}/?token=${token}\nCtrl-C stops it.\n`);
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await database.disconnect();
    return EXIT_OK;
  },
};
