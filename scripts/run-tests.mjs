// Runs the whole vitest suite, then prints one plain closing line "tests: N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

// The @rlts/distributed tests start a real redis-server. On a fresh Debian/Ubuntu machine where this
// runs as root (CI), install the distribution's package; elsewhere say how, and let those tests fail
// with the same advice rather than skip.
const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
if (!has("redis-server")) {
  if (process.getuid?.() === 0 && has("apt-get")) {
    console.log("redis-server not found: installing the Debian package for the @rlts/distributed tests");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    const install =
      update.status === 0 &&
      spawnSync("apt-get", ["install", "-y", "-qq", "redis-server"], { stdio: "inherit", env }).status === 0;
    if (!install) console.log("could not install redis-server; the @rlts/distributed tests will fail");
  } else {
    console.log(
      "redis-server not found: the @rlts/distributed tests need it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)",
    );
  }
}

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
