/**
 * Just enough of the Dockerfile syntax to read this repository's Dockerfile: comments, line
 * continuations, stages, and the instructions it uses with their arguments.
 */

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  rest: string;
}

export interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((pending + line).trim());
    pending = "";
  }
  if (pending) logical.push(pending.trim());

  const stages: Stage[] = [];
  for (const line of logical.filter(Boolean)) {
    const space = line.search(/\s/);
    const keyword = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const rest = space < 0 ? "" : line.slice(space + 1).trim();
    if (keyword === "FROM") {
      const [image, as, name] = rest.split(/\s+/);
      stages.push({ image: image!, name: as?.toUpperCase() === "AS" ? name! : null, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before the first FROM`);
    stage.instructions.push({ keyword, rest });
  }
  return stages;
}

export const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

/** `ENV A=1 B="two words"` (the key=value form) as a record, over every ENV of the stage. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { rest } of all(stage, "ENV")) {
    for (const m of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
      env[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    }
  }
  return env;
}

/** A JSON (exec form) argument list, e.g. of ENTRYPOINT, CMD or VOLUME. */
export function execForm(rest: string): string[] {
  const parsed: unknown = JSON.parse(rest);
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) throw new Error(`not an exec form: ${rest}`);
  return parsed;
}

export interface Copy {
  from: string | null;
  sources: string[];
  dest: string;
}

export function copyOf({ rest }: Instruction): Copy {
  const words = rest.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith("--")) {
    const flag = words.shift()!;
    if (flag.startsWith("--from=")) from = flag.slice("--from=".length);
  }
  const dest = words.pop()!;
  return { from, sources: words, dest };
}

/** The shell command of `HEALTHCHECK [options] CMD <command>`. */
export function healthcheckCommand({ rest }: Instruction): string {
  const at = rest.search(/(^|\s)CMD\s/);
  if (at < 0) throw new Error(`HEALTHCHECK without CMD: ${rest}`);
  return rest.slice(rest.indexOf("CMD", at) + 3).trim();
}
