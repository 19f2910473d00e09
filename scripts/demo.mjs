// `npm run demo`: runs the best end-to-end thing the workspace has. Until apps/grpo-math exists this
// builds a run container, loads the example third-party plugin by package name, and selects it from a
// config, which is the path every plugin (built-in or not) goes through.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

if (existsSync("apps/grpo-math/package.json")) {
  const run = spawnSync("pnpm", ["--filter", "grpo-math", "run", "demo", ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exit(run.status ?? 1);
}

await import("reflect-metadata");
const { createContainer, createPlugin, getRegistry, loadPlugins } = await import("@rlts/core");
const config = { plugins: ["rlts-plugin-mean-baseline"], advantage: { name: "mean-baseline", scale: 1 } };
const container = createContainer();
await loadPlugins(container, config.plugins, { from: "examples/plugin-mean-baseline" });
console.log(`registered advantage estimators: ${getRegistry(container).list("advantage").join(", ")}`);
const estimator = createPlugin(container, "advantage", config.advantage);
const rewards = Float64Array.from([1, 0, 0, 1, 1, 0]);
const { advantages } = estimator.estimate({
  numSteps: 1,
  numEnvs: rewards.length,
  rewards,
  terminated: new Uint8Array(rewards.length).fill(1),
  truncated: new Uint8Array(rewards.length),
});
console.log(`rewards    ${[...rewards].join(" ")}`);
console.log(`advantages ${[...advantages].map((a) => a.toFixed(3)).join(" ")}`);
console.log("(the GRPO math demo replaces this once apps/grpo-math exists)");
await container.dispose();
