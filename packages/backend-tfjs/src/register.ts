import { getRegistry } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { type EnginePreference, TfjsEngine } from "./engine.js";

/**
 * Adds the `tfjs` engine plugin. Its options are {@link SelectEngineOptions}' `prefer`; the factory
 * validates them and returns an engine that starts on `await engine.ready()`.
 */
export function register(container: DependencyContainer): void {
  getRegistry(container).register(
    "engine",
    "tfjs",
    (options) => new TfjsEngine({ prefer: options.prefer as EnginePreference | undefined }),
    { description: "TensorFlow.js training engine: tfjs-node-gpu → tfjs-node → wasm → cpu" },
  );
}
