import "reflect-metadata";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type AdvantageEstimator,
  ConfigError,
  createContainer,
  createPlugin,
  DuplicatePluginError,
  getRegistry,
  loadPlugins,
  PluginLoadError,
  PluginNotFoundError,
  PluginRegistry,
} from "../src/index.js";

const batch = {
  numSteps: 1,
  numEnvs: 3,
  rewards: Float64Array.from([1, 2, 6]),
  terminated: Uint8Array.from([1, 1, 1]),
  truncated: Uint8Array.from([0, 0, 0]),
};

function constantBaseline(baseline: number): AdvantageEstimator {
  return {
    name: "minus-constant",
    requires: [],
    estimate: (b) => ({ advantages: b.rewards.map((r) => r - baseline) }),
  };
}

describe("PluginRegistry", () => {
  it("creates a registered plugin by name with its options", () => {
    const container = createContainer();
    getRegistry(container).register("advantage", "minus-constant", (options) =>
      constantBaseline(Number(options.baseline ?? 0)),
    );
    const estimator = createPlugin(container, "advantage", { name: "minus-constant", baseline: 2 });
    expect([...estimator.estimate(batch).advantages]).toEqual([-1, 0, 4]);
    const bare = createPlugin(container, "advantage", "minus-constant");
    expect([...bare.estimate(batch).advantages]).toEqual([1, 2, 6]);
  });

  it("rejects a duplicate name of the same kind but allows it for another kind", () => {
    const registry = new PluginRegistry();
    registry.register("advantage", "x", () => constantBaseline(0));
    expect(() => registry.register("advantage", "x", () => constantBaseline(1))).toThrow(
      DuplicatePluginError,
    );
    expect(() => registry.register("advantage", "x", () => constantBaseline(1))).toThrow(
      /already registered/,
    );
    registry.register("reward", "x", () => ({ name: "x", score: (inputs) => inputs.map(() => 1) }));
    expect(registry.list("reward")).toEqual(["x"]);
  });

  it("registerMissing keeps the names already taken and adds the rest, then throws on duplicates again", () => {
    const registry = new PluginRegistry();
    registry.register("advantage", "x", () => constantBaseline(0));
    registry.registerMissing(() => {
      registry.register("advantage", "x", () => constantBaseline(5));
      registry.register("advantage", "y", () => constantBaseline(7));
    });
    expect(registry.list("advantage")).toEqual(["x", "y"]);
    const batch = {
      numSteps: 1,
      numEnvs: 1,
      rewards: Float64Array.of(1),
      terminated: Uint8Array.of(1),
      truncated: Uint8Array.of(0),
    };
    const container = createContainer();
    expect([...registry.create("advantage", "x", {}, container).estimate(batch).advantages]).toEqual([1]);
    expect(() => registry.register("advantage", "y", () => constantBaseline(1))).toThrow(
      DuplicatePluginError,
    );
  });

  it("names the known plugins when asked for an unknown one", () => {
    const container = createContainer();
    const registry = getRegistry(container);
    registry.register("advantage", "gae-like", () => constantBaseline(0));
    registry.register("advantage", "another", () => constantBaseline(0));
    let error: unknown;
    try {
      createPlugin(container, "advantage", "gea");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PluginNotFoundError);
    expect((error as Error).message).toContain('no advantage plugin named "gea"');
    expect((error as Error).message).toContain('"another", "gae-like"');
    expect(() => registry.create("objective", "ppo", {}, container)).toThrow(/\(none registered\)/);
  });

  it("lists names per kind, sorted", () => {
    const registry = new PluginRegistry();
    registry.register("advantage", "rloo", () => constantBaseline(0));
    registry.register("advantage", "gae", () => constantBaseline(0));
    expect(registry.list("advantage")).toEqual(["gae", "rloo"]);
    expect(registry.list("objective")).toEqual([]);
    expect(registry.has("advantage", "gae")).toBe(true);
    expect(registry.has("objective", "gae")).toBe(false);
  });

  it("rejects an unknown kind and an empty name with the field named", () => {
    const registry = new PluginRegistry();
    // @ts-expect-error "policy" is not a plugin kind
    expect(() => registry.register("policy", "x", () => ({}))).toThrow(ConfigError);
    expect(() => registry.register("advantage", "", () => constantBaseline(0))).toThrow(
      /advantage plugin name/,
    );
  });

  it("rejects a config entry without a name, listing the choices", () => {
    const container = createContainer();
    getRegistry(container).register("advantage", "gae", () => constantBaseline(0));
    expect(() => createPlugin(container, "advantage", { gamma: 0.9 } as never, "trainer.advantage")).toThrow(
      /trainer\.advantage\.name: .*one of gae/,
    );
  });

  it("keeps two child containers isolated", () => {
    const a = createContainer();
    const b = createContainer();
    getRegistry(a).register("advantage", "only-in-a", () => constantBaseline(0));
    expect(getRegistry(a).list("advantage")).toEqual(["only-in-a"]);
    expect(getRegistry(b).list("advantage")).toEqual([]);
    expect(() => createPlugin(b, "advantage", "only-in-a")).toThrow(PluginNotFoundError);
  });

  it("reports a missing plugin package by name", async () => {
    const container = createContainer();
    await expect(loadPlugins(container, ["@nobody/no-such-rlts-plugin"])).rejects.toThrow(PluginLoadError);
    await expect(loadPlugins(container, ["@nobody/no-such-rlts-plugin"])).rejects.toThrow(
      /@nobody\/no-such-rlts-plugin.*pnpm add/,
    );
  });

  it("resolves package names from a relative directory", async () => {
    const container = createContainer();
    const from = relative(
      process.cwd(),
      join(import.meta.dirname, "..", "..", "..", "examples", "plugin-mean-baseline"),
    );
    await loadPlugins(container, ["rlts-plugin-mean-baseline"], { from });
    expect(getRegistry(container).list("advantage")).toEqual(["mean-baseline"]);
  });

  it("rejects a package that exports no register function", async () => {
    // tsyringe is installed and is a real package, but not a plugin.
    await expect(loadPlugins(createContainer(), ["tsyringe"], { from: import.meta.dirname })).rejects.toThrow(
      /does not export a register\(container\) function/,
    );
  });
});
