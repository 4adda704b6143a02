// `npm start [-- serve options]`: compile only when the output is older than its sources, then run
// the daemon in this same process. No second process sits between npm and the daemon, so the
// signals npm forwards (SIGINT, SIGTERM) reach the daemon itself and stop it gracefully.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "dist", "src", "cli.js");
const inputs = ["src", "routes", "schemas", "bench", "scripts", "tsconfig.json", "package.json", "package-lock.json"];

/** Newest modification time under `path` (a file or a directory tree), 0 when absent. */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const built = newest(entry);
if (built === 0 || inputs.some((input) => newest(join(root, input)) > built)) {
  process.stderr.write("codexd: compiling (the build output is missing or older than the sources)...\n");
  const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

const args = process.argv.slice(2);
process.argv = [process.argv[0], entry, ...(args.length === 0 || args[0].startsWith("-") ? ["serve", ...args] : args)];
await import(pathToFileURL(entry).href);
