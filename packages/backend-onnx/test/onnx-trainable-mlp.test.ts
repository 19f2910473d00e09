import { MlpPolicy, type MlpPolicyOptions, selectEngine } from "@rlts/backend-tfjs";
import { createRng } from "@rlts/core";
import { isMlpTrainingEngine } from "@rlts/lm";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { mlpArchitecture, OnnxEngine, OnnxTrainableMlp } from "../src/index.js";

// The MLP trained on onnxruntime against backend-tfjs's MlpPolicy, an independent implementation:
// the forward graph gives evaluate()'s log-probs, entropies and values, and the hand-written backward
// graph gives the gradients tfjs's autodiff takes of the same weighted sum; a central finite
// difference in float64 over the weights checks the backward graph on its own.

await selectEngine({ prefer: "wasm", log: () => {} });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

const cases: Record<string, MlpPolicyOptions> = {
  "categorical, separate value trunk, tanh": { obsDim: 4, action: { type: "categorical", n: 3 }, seed: 1 },
  "Gaussian, shared trunk, relu": {
    obsDim: 3,
    action: { type: "gaussian", dim: 2, initLogStd: -0.3 },
    hidden: [16, 8],
    activation: "relu",
    sharedTrunk: true,
    seed: 2,
  },
  "categorical, no value head, no hidden layer": {
    obsDim: 5,
    action: { type: "categorical", n: 4 },
    hidden: [],
    valueHead: false,
    seed: 3,
  },
};

/** A batch, weights moved off the init by one step, and random loss weights c_lp, c_H, c_V. */
async function setup(options: MlpPolicyOptions) {
  const policy = new MlpPolicy(options);
  const rng = createRng(7);
  const B = 24;
  const obs = Float32Array.from({ length: B * options.obsDim }, () => rng.normal());
  const { actions } = policy.act(obs, createRng(1));
  // One step so the weights are not just the init (the head's 0.01 gain makes logits tiny).
  policy.trainStep(() => tf.neg(tf.mean(policy.evaluate(obs, actions).logprob)) as tf.Scalar);
  const net = await OnnxTrainableMlp.create(mlpArchitecture(policy), policy.getWeights(), {
    intraOpNumThreads: 1,
  });
  const weights = () => Float32Array.from({ length: B }, () => rng.normal());
  return { policy, net, obs, actions, B, c: { logprob: weights(), entropy: weights(), values: weights() } };
}

describe("OnnxTrainableMlp against backend-tfjs MlpPolicy", () => {
  for (const [label, options] of Object.entries(cases)) {
    it(`${label}: evaluate()'s outputs and the gradients of Σ c_lp·log π + c_H·H + c_V·V`, async () => {
      const { policy, net, obs, actions, c } = await setup(options);
      const withValue = options.valueHead !== false;
      const forward = await net.forward(obs, actions);
      const grads = await net.backward({
        logprob: c.logprob,
        entropy: c.entropy,
        values: withValue ? c.values : undefined,
      });
      const names = policy.parameterNames;
      const variables = names.map((n) => policy.variable(n));
      tf.tidy(() => {
        const ev = policy.evaluate(obs, actions);
        expect(maxAbsDiff(forward.logprob, ev.logprob.dataSync())).toBeLessThan(1e-5);
        expect(maxAbsDiff(forward.entropy, ev.entropy.dataSync())).toBeLessThan(1e-5);
        if (withValue) expect(maxAbsDiff(forward.values!, ev.value!.dataSync())).toBeLessThan(1e-5);
        else expect(forward.values).toBeUndefined();
        const expected = tf.variableGrads(() => {
          const e = policy.evaluate(obs, actions);
          const terms = [tf.sum(tf.mul(e.logprob, c.logprob)), tf.sum(tf.mul(e.entropy, c.entropy))];
          if (e.value) terms.push(tf.sum(tf.mul(e.value, c.values)));
          return tf.addN(terms) as tf.Scalar;
        }, variables).grads;
        expect([...grads.keys()]).toEqual(names);
        names.forEach((name, i) => {
          const want = expected[variables[i].name].dataSync();
          expect(maxAbsDiff(grads.get(name)!, want), name).toBeLessThan(1e-5 * Math.max(1, maxAbs(want)));
        });
      });
      policy.dispose();
      await net.dispose();
    });
  }

  it("the backward graph matches central finite differences of the forward graph (float64 sums)", async () => {
    const options = cases["Gaussian, shared trunk, relu"];
    const { policy, net, obs, actions, c } = await setup(options);
    await net.forward(obs, actions);
    const grads = await net.backward(c);
    // L(θ) = Σ c_lp·log π + c_H·H + c_V·V, summed in float64 from the forward graph's float32 outputs.
    const lossAt = async () => {
      const f = await net.forward(obs, actions);
      let s = 0;
      for (let i = 0; i < f.logprob.length; i++)
        s += c.logprob[i] * f.logprob[i] + c.entropy[i] * f.entropy[i] + c.values[i] * f.values![i];
      return s;
    };
    const h = 1e-2;
    const rng = createRng(3);
    for (const name of ["trunk.0.w", "trunk.1.b", "pi.head.w", "pi.logStd", "vf.head.w"]) {
      const p = net.parameters.get(name)!.data;
      for (let k = 0; k < 3; k++) {
        const i = rng.int(p.length);
        const x = p[i];
        p[i] = x + h;
        const up = await lossAt();
        p[i] = x - h;
        const down = await lossAt();
        p[i] = x;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(grads.get(name)![i] - numeric), `${name}[${i}]`).toBeLessThan(
          2e-2 * Math.max(1, Math.abs(numeric)),
        );
      }
    }
    policy.dispose();
    await net.dispose();
  });

  it("acts like MlpPolicy.act from the same seed, and reads weights updated in place", async () => {
    const { policy, net, obs } = await setup(cases["categorical, separate value trunk, tanh"]);
    for (const greedy of [false, true]) {
      const a = await net.act(obs, createRng(9), { greedy });
      const b = policy.act(obs, createRng(9), { greedy });
      expect(a.actions).toEqual(b.actions);
      expect(maxAbsDiff(a.logprobs, b.logprobs)).toBeLessThan(1e-5);
      expect(maxAbsDiff(a.values!, b.values!)).toBeLessThan(1e-5);
    }
    // An optimiser writes into `parameters`; the next run sees it without any sync.
    const bias = net.parameters.get("vf.head.b")!.data;
    const before = (await net.predict(obs)).values!.slice();
    bias[0] += 1;
    const after = (await net.predict(obs)).values!;
    expect(
      maxAbsDiff(
        after.map((v, i) => v - before[i]),
        new Float32Array(before.length).fill(1),
      ),
    ).toBeLessThan(1e-5);
    // getWeights copies, setWeights writes in place.
    const copy = net.getWeights();
    copy.get("vf.head.b")!.data[0] = 42;
    expect(bias[0]).not.toBe(42);
    net.setWeights(policy.getWeights());
    expect(maxAbsDiff(net.parameters.get("vf.head.b")!.data, policy.variable("vf.head.b").dataSync())).toBe(
      0,
    );
    policy.dispose();
    await net.dispose();
  });

  it("checks its inputs and its state, naming the field", async () => {
    const { policy, net, obs, actions } = await setup(cases["categorical, separate value trunk, tanh"]);
    await expect(
      net.backward({ logprob: new Float32Array(1), entropy: new Float32Array(1) }),
    ).rejects.toThrow(/forward\(\) first/);
    const bad = Int32Array.from(actions);
    bad[2] = 3;
    await expect(net.forward(obs, bad)).rejects.toThrow(/actions\[2\]/);
    await expect(net.forward(obs, actions.subarray(1))).rejects.toThrow(/actions/);
    await net.forward(obs, actions);
    const n = actions.length;
    await expect(
      net.backward({ logprob: new Float32Array(n), entropy: new Float32Array(n) }),
    ).rejects.toThrow(/gradients\.values/);
    await net.dispose();
    await expect(net.predict(obs)).rejects.toThrow(/after dispose/);
    policy.dispose();
  });

  it("the onnx engine has the createTrainableMlp capability and releases what it built", async () => {
    const engine = new OnnxEngine();
    expect(isMlpTrainingEngine(engine)).toBe(true);
    expect(isMlpTrainingEngine({ createMlpPolicy() {} })).toBe(false);
    const policy = new MlpPolicy({ obsDim: 2, action: { type: "categorical", n: 2 }, hidden: [4], seed: 1 });
    const net = await engine.createTrainableMlp(mlpArchitecture(policy), policy.getWeights());
    await engine.dispose();
    await expect(net.predict(new Float32Array(2))).rejects.toThrow(/after dispose/);
    policy.dispose();
  });
});
