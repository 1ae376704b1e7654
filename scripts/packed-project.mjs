// A new project with this package installed from its tarball (`npm pack`), as a user gets it: node_modules/quarry
// holds what the tarball holds, so only what its exports map offers can be imported or named. Other packages are
// linked from this checkout's node_modules (no registry).
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const repository = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Makes `directory` (emptied first) such a project and writes `files` into it. `build`: pack through `npm pack`'s
 * prepack (a fresh build) rather than the dist/ already built. `links`: packages besides quarry's dependencies.
 */
export async function packedProject(directory, { files = {}, links = [], build = false } = {}) {
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(join(directory, "node_modules"), { recursive: true });
  const { stdout } = await run("npm", ["pack", "--silent", ...(build ? [] : ["--ignore-scripts"]), "--pack-destination", directory], { cwd: repository });
  const tarball = join(directory, stdout.trim().split("\n").at(-1));
  mkdirSync(join(directory, "node_modules", "quarry"));
  await run("tar", ["-xzf", tarball, "-C", join(directory, "node_modules", "quarry"), "--strip-components=1"]);
  rmSync(tarball);
  for (const name of ["dataloader", "sql-template-tag", ...links]) {
    const target = join(directory, "node_modules", name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(repository, "node_modules", name), target);
  }
  writeFileSync(join(directory, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}
