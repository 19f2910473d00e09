// Runs the whole vitest suite, then prints one plain closing line "tests: N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const report = join(".rlts-tmp", "vitest-report.json");
mkdirSync(".rlts-tmp", { recursive: true });
rmSync(report, { force: true });
const vitest = spawnSync(
  "vitest",
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: "inherit", shell: false },
);
let line = "tests: 0 passed, 0 failed";
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  line = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""}`;
}
console.log(line);
process.exit(vitest.status ?? 1);
