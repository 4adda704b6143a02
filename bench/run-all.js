#!/usr/bin/env node
// Runs every compiled benchmark (dist/bench/*.js) in sequence, each in its own child process.
// Usage: node bench/run-all.js [name-filter]   e.g. `npm run bench -- store`
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = join(root, "dist", "bench");
const filter = process.argv[2];

if (!existsSync(dir)) {
  console.error(`no ${dir}; run \`npm run build\` first`);
  process.exit(1);
}
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".js"))
  .filter((f) => !filter || basename(f, ".js").includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark in ${dir} matches ${JSON.stringify(filter ?? "")}`);
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${basename(file, ".js")} ===`);
  const result = spawnSync(process.execPath, [join(dir, file)], { stdio: "inherit", cwd: root });
  if (result.status !== 0) {
    failed++;
    console.error(`${file} failed (${result.signal ?? `exit ${result.status}`})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
