import type { Database } from "../database.js";
import type { Project } from "./config.js";

/**
 * The database the project's models run their statements on (their own, which the config's modules made; a
 * project whose config names only a URL has the config's), and a way to close every database the command opened.
 */
export function modelDatabase(project: Project): { database: Database; disconnect(): Promise<void> } {
  const database = project.models[0]?.database ?? project.database;
  const opened = new Set([database, project.database, ...project.models.map((meta) => meta.database)]);
  return { database, disconnect: async () => void (await Promise.all([...opened].map((each) => each.disconnect()))) };
}
