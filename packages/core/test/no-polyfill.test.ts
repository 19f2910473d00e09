import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Runs in a fresh Node process: the vitest setup file loads reflect-metadata for every test here.
describe("importing @rlts/core without reflect-metadata", () => {
  it("works for the plain functions; dependency injection asks for the polyfill", () => {
    const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `
      const core = await import(${JSON.stringify(dist)});
      const rng = core.createRng(1);
      console.log(typeof rng.next());
      try { core.createContainer(); console.log("created"); } catch (e) { console.log("error: " + e.message); }
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const [first, second] = run.stdout.trim().split("\n");
    expect(first).toBe("number");
    expect(second).toMatch(/error: .*[Rr]eflect/);
  });
});
