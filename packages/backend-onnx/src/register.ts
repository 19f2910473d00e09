import { assertInteger, getRegistry } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { OnnxEngine } from "./engine.js";
import { OnnxRewardModel, type OnnxRewardModelOptions } from "./onnx-reward-model.js";

/**
 * Adds the `onnx` engine (options: `intraOpNumThreads`) and the `onnx-reward-model` reward (options:
 * {@link OnnxRewardModelOptions}) to the container's registry.
 */
export function register(container: DependencyContainer): void {
  const registry = getRegistry(container);
  registry.register(
    "engine",
    "onnx",
    (options) => {
      const threads = (options.intraOpNumThreads as number | undefined) ?? 0;
      assertInteger("engine.intraOpNumThreads", threads, 0);
      return new OnnxEngine({ intraOpNumThreads: threads });
    },
    { description: "onnxruntime-node inference engine: GPT KV-cache sampling, scoring, MLP policies" },
  );
  registry.register(
    "reward",
    "onnx-reward-model",
    (options) => new OnnxRewardModel(options as unknown as OnnxRewardModelOptions),
    { description: "an ONNX model scoring tokenised (prompt +) completions" },
  );
}
