import { constants } from "node:fs";
import { link, mkdir, open, readdir, rename, unlink, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** mkdir -p with 0700, and a clear error when something that is not a directory is in the way. */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  const info = await stat(dir);
  if (!info.isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: "ENOTDIR" });
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

let tmpCounter = 0;

/**
 * Replace `path` atomically: write a temp file in the same directory, fsync it, keep the
 * previous version as `<path>.bak` (a hard link, so no copy), rename over, fsync the directory.
 * A crash at any point leaves either the old or the new content under `path`, never a mix.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, keepBackup = true): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++tmpCounter}.tmp`);
  const handle = await open(tmp, "w", FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await handle.close();
  if (keepBackup) await linkBackup(path);
  await rename(tmp, path);
  await fsyncDir(dir);
}

/**
 * Remove the temp files of atomic writes a crash interrupted (`.<name>.<pid>.<n>.tmp`). Only for
 * the owner of the directory: another live writer's temp file would be pulled from under it.
 */
export async function removeAbandonedTempFiles(dir: string): Promise<string[]> {
  const abandoned = (await readdir(dir)).filter((name) => /^\..+\.\d+\.\d+\.tmp$/.test(name));
  await Promise.all(abandoned.map((name) => unlink(join(dir, name)).catch(ignoreMissing)));
  return abandoned;
}

async function linkBackup(path: string): Promise<void> {
  const bak = `${path}.bak`;
  await unlink(bak).catch(ignoreMissing);
  await link(path, bak).catch(ignoreMissing);
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== "ENOENT") throw error;
}

export interface RecordsAside {
  file: string;
  schema: string;
  movedTo: string;
  count: number;
  /** Why each record failed (the first few). */
  reasons: string[];
}

/**
 * Keep the records of `file` that failed validation for inspection, in `<file>.corrupt-<ts>`
 * (JSON: the file, when, and each record with why it failed), instead of dropping them.
 */
export async function moveRecordsAside(file: string, schema: string, bad: readonly { record: unknown; reason: string }[], now: Date): Promise<RecordsAside> {
  const movedTo = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, "-")}-records`;
  await writeFileAtomic(movedTo, `${JSON.stringify({ file, schema, movedAt: now.toISOString(), records: bad }, null, 2)}\n`, false);
  return { file, schema, movedTo, count: bad.length, reasons: bad.slice(0, 10).map((b) => b.reason) };
}

/** Move a damaged file out of the way, keeping it for inspection. Returns the new name. */
export async function moveAside(path: string, now: Date): Promise<string> {
  const aside = `${path}.corrupt-${now.toISOString().replace(/[:.]/g, "-")}`;
  await rename(path, aside);
  return aside;
}
