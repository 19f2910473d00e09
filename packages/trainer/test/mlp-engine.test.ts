import "reflect-metadata";
import { OnnxTrainableMlp } from "@rlts/backend-onnx";
import { MlpPolicy, type MlpPolicyOptions, selectEngine } from "@rlts/backend-tfjs";
import { createContainer, createRng, getRegistry, type LossInputs } from "@rlts/core";
import { PpoObjective } from "@rlts/objectives";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { OnPolicyTrainer } from "../src/index.js";
import type { EvaluateLoss } from "../src/policy/actor-critic.js";
import { ArrayActorCritic } from "../src/policy/array-actor-critic.js";
import { TfjsActorCritic } from "../src/policy/tfjs-actor-critic.js";

// The MLP engine of the environment trainer: a step on onnxruntime (the objective's loss in tfjs over
// the engine's log-probs, entropies and values, JS AdamW) is the step tfjs takes on its own tape.

await selectEngine({ prefer: "wasm", log: () => {} });

const optimizer = { lr: 3e-3, maxGradNorm: 0.5, decay: "linear", totalSteps: 10 } as const;

async function pair(options: MlpPolicyOptions) {
  const tfjs = new MlpPolicy({ ...options, optimizer });
  const copy = new MlpPolicy({ ...options, optimizer });
  copy.setWeights(tfjs.getWeights());
  const net = await OnnxTrainableMlp.create(copy.options, tfjs.getWeights(), { intraOpNumThreads: 1 });
  return { tfjs: new TfjsActorCritic(tfjs), onnx: new ArrayActorCritic(net, optimizer), copy };
}

/** A PPO minibatch for `policy`'s current behaviour: its own actions, log-probs and values. */
function minibatch(policy: MlpPolicy, B: number, seed: number) {
  const rng = createRng(seed);
  const obs = Float32Array.from({ length: B * policy.options.obsDim }, () => rng.normal());
  const act = policy.act(obs, rng);
  const f = (x: ArrayLike<number>) => tf.tensor1d(Float32Array.from(x));
  const tensors = {
    oldLogprobs: f(Array.from(act.logprobs, (l) => l + 0.05 * rng.normal())),
    advantages: f(Array.from({ length: B }, () => rng.normal())),
    returns: f(Array.from({ length: B }, () => rng.normal())),
    oldValues: f(act.values ?? new Float64Array(B)),
  };
  return {
    obs,
    actions: act.actions,
    tensors,
    dispose: () => {
      for (const t of Object.values(tensors)) t.dispose();
    },
  };
}

function lossOf(objective: PpoObjective, tensors: Omit<LossInputs<tf.Tensor>, "logprobs">): EvaluateLoss {
  return (ev) =>
    objective.loss({ ...tensors, logprobs: ev.logprob, entropy: ev.entropy, values: ev.value }).loss;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("an MLP trained on onnxruntime against the same MLP on tfjs", () => {
  it.each([
    ["categorical, tanh, separate trunks", { obsDim: 4, action: { type: "categorical", n: 2 }, seed: 1 }],
    [
      "Gaussian, relu, shared trunk",
      {
        obsDim: 3,
        action: { type: "gaussian", dim: 2, initLogStd: -0.5 },
        hidden: [16, 16],
        activation: "relu",
        sharedTrunk: true,
        seed: 2,
      },
    ],
  ] as const)("%s: five PPO steps give the same losses, norms and weights", async (_, options) => {
    const { tfjs, onnx, copy } = await pair(options as MlpPolicyOptions);
    const objective = new PpoObjective({ entropyCoef: 0.01 });
    const mb = minibatch(tfjs.policy, 64, 3);
    const loss = lossOf(objective, mb.tensors);
    for (let step = 0; step < 5; step++) {
      const a = tfjs.trainStep(mb.obs, mb.actions, loss);
      const b = await onnx.trainStep(mb.obs, mb.actions, loss);
      expect(b.loss).toBeCloseTo(a.loss, 4);
      expect(b.gradNorm).toBeCloseTo(a.gradNorm, 3);
      expect(onnx.currentLr).toBe(tfjs.currentLr);
    }
    onnx.syncTo(copy);
    expect(maxAbsDiff(copy.getFlatParams(), tfjs.policy.getFlatParams())).toBeLessThan(1e-4);
    expect(await onnx.lossValue(mb.obs, mb.actions, loss)).toBeCloseTo(
      tfjs.lossValue(mb.obs, mb.actions, loss),
      4,
    );
    mb.dispose();
    tfjs.policy.dispose();
    copy.dispose();
    await onnx.dispose();
  });

  it("leaves weights the loss does not reach alone, and refuses a non-finite loss before any change", async () => {
    const { tfjs, onnx, copy } = await pair({ obsDim: 4, action: { type: "categorical", n: 2 }, seed: 4 });
    const mb = minibatch(tfjs.policy, 32, 5);
    // valueCoef 0: no value term, so the value trunk and head get no gradient and AdamW skips them.
    const noValue = lossOf(new PpoObjective({ valueCoef: 0 }), mb.tensors);
    const before = onnx.network.getWeights();
    await onnx.trainStep(mb.obs, mb.actions, noValue);
    for (const [name, w] of onnx.network.getWeights()) {
      const same = maxAbsDiff(w.data, before.get(name)!.data) === 0;
      expect(same, name).toBe(name.startsWith("vf."));
    }
    const after = onnx.network.getWeights();
    await expect(onnx.trainStep(mb.obs, mb.actions, (ev) => tf.div(tf.sum(ev.logprob), 0))).rejects.toThrow(
      /loss\[0\] is -?Infinity/,
    );
    for (const [name, w] of onnx.network.getWeights()) expect(w.data, name).toEqual(after.get(name)!.data);
    mb.dispose();
    tfjs.policy.dispose();
    copy.dispose();
    await onnx.dispose();
  });
});

describe("trainer.mlpEngine", () => {
  const base = { numEnvs: 2, numSteps: 64, totalSteps: 256, evalEpisodes: 2, engine: "wasm" } as const;

  it("trains on onnx by default and on tfjs with false, to the same weights up to float32 rounding", async () => {
    const run = async (mlpEngine?: false) => {
      const trainer = await OnPolicyTrainer.create({ ...base, seed: 3, mlpEngine });
      const result = await trainer.train();
      const params = trainer.policy.getFlatParams();
      await trainer.dispose();
      return { result, params };
    };
    const onnx = await run();
    const tfjs = await run(false);
    // Same init, same rollouts until float32 rounding differs: the weights stay close after one update.
    expect(onnx.result.updates).toBe(tfjs.result.updates);
    expect(maxAbsDiff(onnx.params, tfjs.params)).toBeLessThan(1e-3);
  });

  it("is chosen by capability: an engine without createTrainableMlp is refused, a renamed onnx engine works", async () => {
    const container = createContainer();
    (await OnPolicyTrainer.create({ ...base, mlpEngine: false }, { container })).dispose();
    const registry = getRegistry(container);
    registry.register("engine", "copy-onnx", (options, context) =>
      context.registry.create("engine", "onnx", options, context.container),
    );
    const run = async (mlpEngine: string) => {
      const trainer = await OnPolicyTrainer.create({ ...base, seed: 2, mlpEngine }, { container });
      const result = await trainer.train();
      const params = Array.from(trainer.policy.getFlatParams());
      await trainer.dispose();
      return { evalReturn: result.evalReturn, params };
    };
    expect(await run("copy-onnx")).toEqual(await run("onnx"));
    await expect(OnPolicyTrainer.create({ ...base, mlpEngine: "tfjs" }, { container })).rejects.toThrow(
      /trainer\.mlpEngine: .*createTrainableMlp/,
    );
    await expect(
      OnPolicyTrainer.create({ ...base, objective: "trpo", mlpEngine: "onnx" }, { container }),
    ).rejects.toThrow(/trainer\.mlpEngine: .*trust-region/);
    await expect(OnPolicyTrainer.create({ ...base, mlpEngine: 3 as never })).rejects.toThrow(
      /trainer\.mlpEngine/,
    );
  });
});
