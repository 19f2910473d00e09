import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// A fresh Node process: the vitest setup file loads reflect-metadata for every test in this one.
describe("@rlts/env without the reflect-metadata polyfill", () => {
  it("makeEnv/makeVecEnv build and step the built-in environments; unknown ids list the known ones", () => {
    const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `
      const env = await import(${JSON.stringify(dist)});
      const cartpole = env.makeEnv("CartPole-v1");
      const { obs } = cartpole.reset({ seed: 1 });
      console.log(obs.length, cartpole.step(0).reward);
      const vec = env.makeVecEnv("Pendulum-v1", 2);
      console.log(vec.reset({ seed: 1 }).obs.length);
      try { env.makeEnv("CartPole-v9"); } catch (e) { console.log(e.message); }
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const [first, second, third] = run.stdout.trim().split("\n");
    expect(first).toBe("4 1");
    expect(second).toBe("6");
    expect(third).toMatch(
      /no env plugin named "CartPole-v9"; known env plugins: "Acrobot-v1", "CartPole-v1"/,
    );
  });
});
