// `pnpm bench <name>` runs bench/<name>/index.ts (or bench/<name>.ts) on TypeScript sources.
// Each benchmark prints, as its last line, one JSON object with its figures.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const name = process.argv[2];
const candidates = name ? [join("bench", name, "index.ts"), join("bench", `${name}.ts`)] : [];
const entry = candidates.find((c) => existsSync(c));
if (!entry) {
  const known = existsSync("bench")
    ? readdirSync("bench")
        .map((f) => f.replace(/\.ts$/, ""))
        .filter((f) => !f.startsWith("_"))
    : [];
  console.error(
    `${name ? `no benchmark named "${name}"` : "name a benchmark"}: pnpm bench <name>; known: ${known.join(", ") || "(none yet)"}`,
  );
  process.exit(2);
}
const run = spawnSync(
  process.execPath,
  [
    "--conditions=@rlts/source",
    "--import",
    "tsx",
    "--import",
    "reflect-metadata",
    entry,
    ...process.argv.slice(3),
  ],
  { stdio: "inherit" },
);
process.exit(run.status ?? 1);
