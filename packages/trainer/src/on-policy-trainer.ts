import { register as registerAdvantages } from "@rlts/advantages";
import { register as registerOnnx } from "@rlts/backend-onnx";
import { type EvaluateResult, MlpPolicy, register as registerBackend } from "@rlts/backend-tfjs";
import {
  type AdvantageEstimator,
  type Batch,
  ConfigError,
  createContainer,
  createPlugin,
  createRng,
  getRegistry,
  type LossInputs,
  type LossOutput,
  type Metrics,
  type MetricsSink,
  mean,
  type Objective,
  type PluginOptions,
  type PluginSpec,
  permutation,
  type Rng,
  type TrustRegionProblem,
} from "@rlts/core";
import {
  Box,
  Discrete,
  type Env,
  flattenInto,
  makeEnv,
  makeVecEnv,
  register as registerEnv,
  type VecEnv,
} from "@rlts/env";
import { isMlpTrainingEngine, type MlpArchitecture } from "@rlts/lm";
import { register as registerObjectives, valueLoss } from "@rlts/objectives";
import * as tf from "@tensorflow/tfjs-core";
import type { DependencyContainer } from "tsyringe";
import { evaluateGreedy } from "./evaluate.js";
import {
  type OnPolicyOptions,
  type ResolvedOnPolicyOptions,
  resolveLearningRate,
  resolveMlpEngine,
  resolveOnPolicyOptions,
} from "./options.js";
import type { ActorCritic } from "./policy/actor-critic.js";
import { ArrayActorCritic } from "./policy/array-actor-critic.js";
import { TfjsActorCritic } from "./policy/tfjs-actor-critic.js";
import { runUpdatePhase } from "./update/update-phase.js";

/** What {@link OnPolicyTrainer.train} returns. */
export interface OnPolicyResult {
  /** Environment steps taken. */
  readonly envSteps: number;
  /** Policy updates done. */
  readonly updates: number;
  /** Mean return of the final greedy evaluation. */
  readonly evalReturn: number;
  /** Env steps at the first evaluation that reached `stopAtReturn`, if any. */
  readonly stepsToThreshold?: number;
  /** Every evaluation: env steps and mean greedy return. */
  readonly evaluations: readonly { readonly step: number; readonly meanReturn: number }[];
  /**
   * Wall-clock seconds of `train`, of the rollouts alone (env + action sampling), of the updates
   * (advantages and optimiser steps) and of the greedy evaluations.
   */
  readonly wallSeconds: number;
  readonly rolloutSeconds: number;
  readonly updateSeconds: number;
  readonly evalSeconds: number;
}

/** Dependencies of {@link OnPolicyTrainer.create}. */
export interface OnPolicyDeps {
  /** The run's container; a new one is made by default. Built-in plugins are added where missing. */
  readonly container?: DependencyContainer;
  /** Where per-update metrics go. */
  readonly sink?: MetricsSink;
}

interface EnvChoice {
  readonly id: string;
  readonly options: PluginOptions;
}

function envChoice(spec: PluginSpec): EnvChoice {
  if (typeof spec === "string") return { id: spec, options: {} };
  const { name, ...options } = spec;
  return { id: name, options };
}

/** One batch of transitions, flat and step-major (entry t·E + e) like the core `Batch`. */
interface StepRollout {
  readonly obs: Float32Array;
  readonly actions: Int32Array | Float32Array;
  readonly logprobs: Float64Array;
  readonly batch: Batch;
  readonly episodeReturns: number[];
}

/** Episodes of `groups` rollouts, padded to the longest: row b holds episode b. */
interface GroupRollout {
  readonly B: number;
  readonly T: number;
  readonly obs: Float32Array;
  readonly actions: Int32Array | Float32Array;
  readonly logprobs: Float32Array;
  readonly mask: Float32Array;
  readonly batch: Batch;
  readonly episodeReturns: number[];
  readonly steps: number;
}

/** Rows `idx` of a flat row-major array of rows of `width` entries. */
function gatherRows<T extends Float32Array | Int32Array | Float64Array>(
  src: T,
  idx: Int32Array,
  width: number,
  Out: new (n: number) => T,
): T {
  const out = new Out(idx.length * width);
  // Element by element: a subarray per row costs more than the copy for rows of a few values.
  for (let i = 0; i < idx.length; i++) {
    const from = idx[i] * width;
    for (let k = 0; k < width; k++) out[i * width + k] = src[from + k];
  }
  return out;
}

/**
 * The on-policy trainer for environments: collects rollouts from a vector environment with an MLP
 * policy, computes advantages with the advantage estimator chosen by name, and updates the policy with
 * the objective chosen by name, for several epochs of shuffled minibatches (PPO, REINFORCE, GRPO) or
 * with the objective's own trust-region step followed by separate value fitting (TRPO). With
 * `rollout: "groups"` it runs GRPO on environments: each group is `groupSize` episodes from one seeded
 * start state, scored by their returns. Greedy evaluation episodes, per-update metrics to a sink, and
 * one seed for everything random.
 */
export class OnPolicyTrainer {
  readonly options: ResolvedOnPolicyOptions;
  readonly container: DependencyContainer;
  readonly estimator: AdvantageEstimator;
  readonly objective: Objective<tf.Tensor>;
  /**
   * The policy's weights (tfjs). With an `mlpEngine` the network acts and trains on that engine and its
   * weights are copied here after every update; without one this is the network that trains.
   */
  readonly policy: MlpPolicy;
  /** What acts and trains: the policy itself, or its copy on the `mlpEngine`. */
  private readonly actor: ActorCritic;
  private readonly engines: readonly { dispose(): unknown }[];
  private readonly env: EnvChoice;
  private readonly evalEnv: EnvChoice;
  private readonly sink?: MetricsSink;
  private readonly rng: Rng;
  private readonly obsSize: number;
  private readonly actionSize: number;
  private readonly discrete: boolean;
  private vec?: VecEnv;
  /**
   * The sampling policy α of off-policy GRPO: a copy of the policy refreshed every
   * `objective.samplerRefreshPeriod` updates (Alg. 1 of arXiv 2505.22257). Absent when v = 1.
   */
  readonly sampler?: MlpPolicy;
  private readonly samplerActor?: ActorCritic;

  private constructor(
    options: ResolvedOnPolicyOptions,
    container: DependencyContainer,
    policy: MlpPolicy,
    actor: ActorCritic,
    engines: readonly { dispose(): unknown }[],
    estimator: AdvantageEstimator,
    objective: Objective<tf.Tensor>,
    deps: OnPolicyDeps,
    probe: Env,
  ) {
    this.options = options;
    this.container = container;
    this.policy = policy;
    this.actor = actor;
    this.engines = engines;
    this.sink = deps.sink;
    this.env = envChoice(options.env);
    this.evalEnv = envChoice(options.evalEnv ?? options.env);
    this.rng = createRng(options.seed);
    this.estimator = estimator;
    this.objective = objective;
    this.obsSize = probe.observationSpace.size;
    this.actionSize = probe.actionSpace.size;
    this.discrete = probe.actionSpace instanceof Discrete;
    this.checkRequirements();
    const v = this.objective.samplerRefreshPeriod ?? 1;
    if (v > 1) {
      this.sampler = new MlpPolicy({ ...policy.options, hidden: [...policy.options.hidden] });
      this.sampler.setWeights(policy.getWeights());
      this.samplerActor = new TfjsActorCritic(this.sampler);
    }
  }

  /**
   * Builds a trainer: adds the built-in plugins (env, advantages, objectives, the tfjs engine) to the
   * container where they are missing, starts the tfjs engine, and creates the env, estimator,
   * objective and policy from the options. Errors name the `trainer.<option>` at fault.
   */
  static async create(options: OnPolicyOptions = {}, deps: OnPolicyDeps = {}): Promise<OnPolicyTrainer> {
    const o = resolveOnPolicyOptions(options);
    const container = deps.container ?? createContainer();
    const registry = getRegistry(container);
    // The built-ins go in name by name where the caller has not registered a plugin of that name.
    for (const builtIn of [
      registerEnv,
      registerAdvantages,
      registerObjectives,
      registerBackend,
      registerOnnx,
    ]) {
      registry.registerMissing(() => builtIn(container));
    }
    const engine = createPlugin(
      container,
      "engine",
      { name: "tfjs", prefer: o.engine },
      "trainer.engine",
    ) as unknown as {
      ready?: () => Promise<unknown>;
    };
    await engine.ready?.();
    const { id, options: envOptions } = envChoice(o.env);
    const probe = makeEnv(id, envOptions, container);
    const space = probe.actionSpace;
    let action: ConstructorParameters<typeof MlpPolicy>[0]["action"];
    if (space instanceof Discrete) action = { type: "categorical", n: space.n };
    else if (space instanceof Box) action = { type: "gaussian", dim: space.size, initLogStd: o.initLogStd };
    else throw new ConfigError("trainer.env", id, "use an environment with a Discrete or Box action space");
    const estimator = createPlugin(container, "advantage", o.advantage, "trainer.advantage");
    const objective = createPlugin(
      container,
      "objective",
      o.objective,
      "trainer.objective",
    ) as Objective<tf.Tensor>;
    // With its own policy step (TRPO) the optimiser only fits the value function.
    const ownPolicyStep = typeof objective.trustRegionStep === "function";
    const { lr, annealLr } = resolveLearningRate(o, ownPolicyStep);
    const mlpEngine = resolveMlpEngine(o, ownPolicyStep);
    const resolved: ResolvedOnPolicyOptions = { ...o, lr, annealLr, mlpEngine };
    const updates = Math.max(1, Math.ceil(o.totalSteps / (o.numEnvs * o.numSteps)));
    const stepsPerUpdate = (ownPolicyStep ? o.valueEpochs : o.epochs) * o.minibatches;
    const anneal = annealLr && o.rollout === "steps" && stepsPerUpdate > 0;
    const optimizer = {
      lr,
      maxGradNorm: o.maxGradNorm,
      // CleanRL anneals lr linearly to 0 over the run; here over the optimiser steps it will take
      // (known in advance only for `steps` rollouts: episode lengths set the size of `groups` ones).
      decay: anneal ? ("linear" as const) : ("constant" as const),
      totalSteps: anneal ? updates * stepsPerUpdate : 0,
    };
    // The tfjs policy draws the initial weights from the seed whichever engine then trains them.
    const policy = new MlpPolicy({
      obsDim: probe.observationSpace.size,
      action,
      hidden: o.hidden,
      seed: o.seed,
      optimizer,
    });
    probe.close();
    let actor: ActorCritic = new TfjsActorCritic(policy);
    const engines: { dispose(): unknown }[] = [];
    if (mlpEngine !== false) {
      const mlp = createPlugin(container, "engine", mlpEngine, "trainer.mlpEngine") as unknown as {
        ready?: () => Promise<unknown>;
        dispose(): unknown;
      };
      engines.push(mlp);
      const name = typeof mlpEngine === "string" ? mlpEngine : mlpEngine.name;
      if (!isMlpTrainingEngine(mlp)) {
        policy.dispose();
        await mlp.dispose();
        throw new ConfigError(
          "trainer.mlpEngine",
          name,
          "this engine cannot train MLPs (it has no createTrainableMlp); use onnx, or false to train on tfjs",
        );
      }
      await mlp.ready?.();
      const architecture: MlpArchitecture = policy.options;
      actor = new ArrayActorCritic(
        await mlp.createTrainableMlp(architecture, policy.getWeights()),
        optimizer,
      );
    }
    return new OnPolicyTrainer(
      resolved,
      container,
      policy,
      actor,
      engines,
      estimator,
      objective,
      deps,
      probe,
    );
  }

  private checkRequirements(): void {
    const provided = new Set<string>([
      "logprobs",
      "advantages",
      "oldLogprobs",
      "values",
      "oldValues",
      "returns",
      "entropy",
    ]);
    if (this.options.rollout === "groups") provided.add("mask");
    for (const field of this.objective.requires) {
      if (!provided.has(field)) {
        throw new ConfigError(
          "trainer.objective",
          this.objective.name,
          `it needs ${field}, which the environment trainer does not provide (e.g. set beta: 0 for GRPO without a reference policy)`,
        );
      }
    }
    const batchFields = new Set<string>(["values", "truncationValues", "lastValues", "logprobs"]);
    if (this.options.rollout === "groups") batchFields.add("groupIds");
    for (const field of this.estimator.requires) {
      if (!batchFields.has(field)) {
        throw new ConfigError(
          "trainer.advantage",
          this.estimator.name,
          `it needs ${field}, which ${this.options.rollout} rollouts do not provide${field === "groupIds" ? ' (use rollout: "groups")' : ""}`,
        );
      }
    }
  }

  /** Runs the whole budget of `totalSteps` env steps (or until `stopAtReturn`). */
  async train(): Promise<OnPolicyResult> {
    const o = this.options;
    const start = performance.now();
    let rolloutMs = 0;
    let updateMs = 0;
    let evalMs = 0;
    const timedEvaluate = async () => {
      const t = performance.now();
      const meanReturn = await this.evaluate();
      evalMs += performance.now() - t;
      return meanReturn;
    };
    let envSteps = 0;
    let updates = 0;
    let nextEval = o.evalEvery > 0 ? o.evalEvery : Number.POSITIVE_INFINITY;
    const evaluations: { step: number; meanReturn: number }[] = [];
    let stepsToThreshold: number | undefined;
    let reachedThreshold = false;
    if (o.rollout === "steps") {
      this.vec = makeVecEnv(this.env.id, o.numEnvs, this.env.options, this.container);
    }
    let obs: Float32Array = this.vec
      ? Float32Array.from(this.vec.reset({ seed: o.seed }).obs)
      : new Float32Array(0);
    while (envSteps < o.totalSteps && !reachedThreshold) {
      const t0 = performance.now();
      let metrics: Record<string, number>;
      if (o.rollout === "steps") {
        const rollout = await this.collectSteps(obs);
        obs = rollout.nextObs;
        const t1 = performance.now();
        rolloutMs += t1 - t0;
        envSteps += o.numEnvs * o.numSteps;
        metrics = await this.updateFromSteps(rollout.data);
        updateMs += performance.now() - t1;
        metrics.episode_return = mean(rollout.data.episodeReturns);
      } else {
        const rollout = await this.collectGroups();
        const t1 = performance.now();
        rolloutMs += t1 - t0;
        envSteps += rollout.steps;
        metrics = await this.updateFromGroups(rollout);
        updateMs += performance.now() - t1;
        metrics.episode_return = mean(rollout.episodeReturns);
      }
      updates++;
      this.actor.syncTo(this.policy);
      // Off-policy GRPO: "if k mod v = 0, push π_θ to the sampler" (arXiv 2505.22257 Alg. 1)
      if (this.sampler && updates % (this.objective.samplerRefreshPeriod ?? 1) === 0) {
        this.sampler.setWeights(this.policy.getWeights());
      }
      metrics.env_steps = envSteps;
      metrics.steps_per_second = envSteps / ((performance.now() - start) / 1000);
      if (envSteps >= nextEval) {
        nextEval += o.evalEvery;
        const meanReturn = await timedEvaluate();
        evaluations.push({ step: envSteps, meanReturn });
        metrics.eval_return = meanReturn;
        if (o.stopAtReturn !== undefined && meanReturn >= o.stopAtReturn) {
          stepsToThreshold = envSteps;
          reachedThreshold = true;
        }
      }
      await this.sink?.log(updates, metrics);
    }
    let evalReturn = evaluations.length ? evaluations[evaluations.length - 1].meanReturn : Number.NaN;
    if (!reachedThreshold) {
      evalReturn = await timedEvaluate();
      evaluations.push({ step: envSteps, meanReturn: evalReturn });
      if (o.stopAtReturn !== undefined && evalReturn >= o.stopAtReturn) stepsToThreshold = envSteps;
      await this.sink?.log(updates, { env_steps: envSteps, eval_return: evalReturn });
    }
    await this.sink?.flush?.();
    return {
      envSteps,
      updates,
      evalReturn,
      stepsToThreshold,
      evaluations,
      wallSeconds: (performance.now() - start) / 1000,
      rolloutSeconds: rolloutMs / 1000,
      updateSeconds: updateMs / 1000,
      evalSeconds: evalMs / 1000,
    };
  }

  /** Mean return of `evalEpisodes` greedy episodes on fresh, seeded environments. */
  evaluate(): Promise<number> {
    return evaluateGreedy(this.actor, this.evalEnv.id, this.evalEnv.options, this.container, {
      episodes: this.options.evalEpisodes,
      seed: this.options.seed + 1_000_003,
    });
  }

  /** Frees the policy's tensors and the engine's sessions, and closes the environments. */
  async dispose(): Promise<void> {
    this.vec?.close();
    this.sampler?.dispose();
    this.policy.dispose();
    await this.actor.dispose();
    await Promise.all(this.engines.map((e) => e.dispose()));
  }

  private async collectSteps(startObs: Float32Array): Promise<{ data: StepRollout; nextObs: Float32Array }> {
    const { numEnvs: E, numSteps: T } = this.options;
    const vec = this.vec as VecEnv;
    const S = this.obsSize;
    const A = this.actionSize;
    const obsBuf = new Float32Array(T * E * S);
    const actions = this.discrete ? new Int32Array(T * E) : new Float32Array(T * E * A);
    const logprobs = new Float64Array(T * E);
    const values = new Float64Array(T * E);
    const rewards = new Float64Array(T * E);
    const terminated = new Uint8Array(T * E);
    const truncated = new Uint8Array(T * E);
    const truncationValues = new Float64Array(T * E);
    const episodeReturns: number[] = [];
    let obs: Float32Array = startObs;
    for (let t = 0; t < T; t++) {
      obsBuf.set(obs, t * E * S);
      const act = await (this.samplerActor ?? this.actor).act(obs, this.rng);
      actions.set(act.actions, t * E * A);
      logprobs.set(act.logprobs, t * E);
      // V(s_t) always comes from the learner's value function, also when a stale sampler acts.
      values.set(this.samplerActor ? await this.actor.values(obs) : (act.values as Float64Array), t * E);
      const r = vec.step(act.actions);
      rewards.set(r.rewards, t * E);
      terminated.set(r.terminated, t * E);
      truncated.set(r.truncated, t * E);
      const bootstrap: number[] = [];
      for (let e = 0; e < E; e++) {
        if (r.truncated[e] && !r.terminated[e]) bootstrap.push(e);
        const episode = r.info.finalInfo[e]?.episode as { r?: number } | undefined;
        if (episode && typeof episode.r === "number") episodeReturns.push(episode.r);
      }
      if (bootstrap.length) {
        // V(final observation) for time-limit truncations (SB3 `OnPolicyAlgorithm.collect_rollouts`, terminal_observation).
        const rows = new Float32Array(bootstrap.length * S);
        bootstrap.forEach((e, i) => {
          rows.set(r.info.finalObservation.subarray(e * S, (e + 1) * S), i * S);
        });
        const v = await this.actor.values(rows);
        bootstrap.forEach((e, i) => {
          truncationValues[t * E + e] = v[i];
        });
      }
      obs = Float32Array.from(r.obs);
    }
    const lastValues = await this.actor.values(obs);
    const batch: Batch = {
      numSteps: T,
      numEnvs: E,
      rewards,
      terminated,
      truncated,
      values,
      truncationValues,
      lastValues,
      logprobs,
    };
    return { data: { obs: obsBuf, actions, logprobs, batch, episodeReturns }, nextObs: obs };
  }

  private async updateFromSteps(data: StepRollout): Promise<Record<string, number>> {
    const o = this.options;
    // The learning rate of this update's first optimiser step (SB3 logs train/learning_rate).
    const lr = this.actor.currentLr;
    const { advantages, returns, metrics: estimatorMetrics } = this.estimator.estimate(data.batch);
    const N = advantages.length;
    const values = data.batch.values as Float64Array;
    const targets = returns ?? Float64Array.from(advantages, (a, i) => a + values[i]);
    const A = this.actionSize;
    const S = this.obsSize;
    const ActionArray = (this.discrete ? Int32Array : Float32Array) as new (
      n: number,
    ) => Int32Array | Float32Array;
    const inputsFor = (idx: Int32Array) => {
      const obs = gatherRows(data.obs, idx, S, Float32Array);
      const actions = gatherRows(data.actions, idx, A, ActionArray);
      const pick = (src: ArrayLike<number>) => {
        const out = new Float32Array(idx.length);
        for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]];
        return tf.tensor1d(out);
      };
      const tensors = {
        oldLogprobs: pick(data.logprobs),
        advantages: pick(advantages),
        returns: pick(targets),
        oldValues: pick(values),
      };
      return { obs, actions, tensors };
    };
    let metrics: Record<string, number>;
    if (this.objective.trustRegionStep) {
      const all = Int32Array.from({ length: N }, (_, i) => i);
      const { obs, actions, tensors } = inputsFor(all);
      try {
        metrics = this.trustRegionUpdate(obs, actions, tensors);
        this.fitValue(data.obs, targets, N);
      } finally {
        for (const t of Object.values(tensors)) t.dispose();
      }
    } else {
      const closureFor = (idx: Int32Array): Minibatch => {
        const { obs, actions, tensors } = inputsFor(idx);
        const loss = (ev: EvaluateResult) =>
          this.objective.loss({
            logprobs: ev.logprob,
            entropy: ev.entropy,
            values: ev.value,
            ...tensors,
          } as LossInputs<tf.Tensor>);
        return { obs, actions, loss, dispose: () => disposeAll(tensors) };
      };
      metrics = (
        await runUpdatePhase({
          samples: Int32Array.from({ length: N }, (_, i) => i),
          epochs: o.epochs,
          minibatches: o.minibatches,
          minibatchSize: Math.floor(N / o.minibatches),
          rng: this.rng,
          objective: this.objective,
          probe: (idx) => this.probeLoss(closureFor(idx)),
          step: (idx) => this.lossStep(closureFor(idx)),
        })
      ).metrics;
    }
    const out: Record<string, number> = { lr, ...metrics };
    for (const [k, v] of Object.entries(estimatorMetrics ?? {})) out[`advantage/${k}`] = v;
    return out;
  }

  /** The loss metrics of a minibatch without a step (for an objective's `stopBeforeStep`). */
  private async probeLoss(mb: Minibatch): Promise<Metrics> {
    let metrics: Metrics = {};
    try {
      await this.actor.lossValue(mb.obs, mb.actions, (ev) => {
        const out = mb.loss(ev);
        metrics = numericMetrics(out.metrics);
        return out.loss;
      });
    } finally {
      mb.dispose();
    }
    return metrics;
  }

  /** One optimiser step on a minibatch's loss; its metrics with the gradient norm. */
  private async lossStep(mb: Minibatch): Promise<Metrics> {
    let metrics: Metrics = {};
    try {
      const step = await this.actor.trainStep(mb.obs, mb.actions, (ev) => {
        const out = mb.loss(ev);
        metrics = numericMetrics(out.metrics);
        return out.loss;
      });
      return { ...metrics, grad_norm: step.gradNorm };
    } finally {
      mb.dispose();
    }
  }

  /** TRPO-style update on the whole batch through the engine-independent TrustRegionProblem. */
  private trustRegionUpdate(
    obs: Float32Array,
    actions: Int32Array | Float32Array,
    tensors: Record<string, tf.Tensor>,
  ): Record<string, number> {
    const policy = this.policy;
    const names = policy.policyParameterNames;
    // π_old: the action distributions before the step, for the KL of the line search.
    const old = policy.distributionSnapshot(obs);
    let metrics: Readonly<Record<string, number>> = {};
    const lossFn = () => {
      const ev = policy.evaluate(obs, actions);
      const out = this.objective.loss({
        logprobs: ev.logprob,
        entropy: ev.entropy,
        oldLogprobs: tensors.oldLogprobs,
        advantages: tensors.advantages,
      });
      metrics = numericMetrics(out.metrics);
      return out.loss;
    };
    const problem: TrustRegionProblem = {
      getParams: () => Float64Array.from(policy.getFlatParams(names)),
      setParams: (p) => policy.setFlatParams(p, names),
      loss: () => policy.lossValue(lossFn),
      gradient: () => policy.flatGradient(lossFn, names).gradient,
      meanKl: () => policy.lossValue(() => policy.meanKl(obs, old)),
      fisherVectorProduct: (v) => policy.fisherVectorProduct(obs, v),
    };
    try {
      policy.lossValue(lossFn);
      const before = metrics;
      const step = (this.objective.trustRegionStep as NonNullable<Objective["trustRegionStep"]>)(problem);
      return { ...before, ...step.metrics, accepted: step.accepted ? 1 : 0 };
    } finally {
      old.dispose();
    }
  }

  /** Fits V separately (TRPO): `valueEpochs` epochs of minibatch MSE (sb3-contrib `n_critic_updates`). */
  private fitValue(obsAll: Float32Array, targets: ArrayLike<number>, N: number): void {
    const o = this.options;
    const S = this.obsSize;
    const mb = Math.floor(N / o.minibatches);
    for (let epoch = 0; epoch < o.valueEpochs; epoch++) {
      const perm = permutation(N, this.rng);
      for (let m = 0; m < o.minibatches; m++) {
        const idx = perm.subarray(m * mb, (m + 1) * mb);
        const obs = gatherRows(obsAll, idx, S, Float32Array);
        const ret = tf.tensor1d(Float32Array.from(idx, (i) => targets[i]));
        try {
          // mean (V − R)² (Spinning Up TRPO `compute_loss_v`: the value function is fitted separately)
          this.policy.trainStep(() => valueLoss(this.policy.value(obs), ret, { convention: "sb3" }));
        } finally {
          ret.dispose();
        }
      }
    }
  }

  /**
   * GRPO on environments: `numGroups` groups of `groupSize` episodes; every episode of a group starts
   * from the same seeded state. Episodes run in lockstep until each ends.
   */
  private async collectGroups(): Promise<GroupRollout> {
    const { numGroups, groupSize } = this.options;
    const B = numGroups * groupSize;
    const S = this.obsSize;
    const A = this.actionSize;
    const envs: Env[] = [];
    const current = new Float32Array(B * S);
    for (let g = 0; g < numGroups; g++) {
      const seed = this.rng.int(2 ** 31 - 1);
      for (let i = 0; i < groupSize; i++) {
        const env = makeEnv(this.env.id, this.env.options, this.container);
        flattenInto(env.reset({ seed }).obs, current, (g * groupSize + i) * S);
        envs.push(env);
      }
    }
    const episodes = Array.from({ length: B }, () => ({
      obs: [] as number[],
      actions: [] as number[],
      logprobs: [] as number[],
      ret: 0,
    }));
    const alive = new Set(Array.from({ length: B }, (_, b) => b));
    let steps = 0;
    while (alive.size) {
      const rows = [...alive];
      const obs = new Float32Array(rows.length * S);
      rows.forEach((b, i) => {
        obs.set(current.subarray(b * S, (b + 1) * S), i * S);
      });
      const act = await (this.samplerActor ?? this.actor).act(obs, this.rng);
      rows.forEach((b, i) => {
        const ep = episodes[b];
        for (let k = 0; k < S; k++) ep.obs.push(obs[i * S + k]);
        const a = this.discrete ? act.actions[i] : act.actions.slice(i * A, (i + 1) * A);
        if (typeof a === "number") ep.actions.push(a);
        else for (const x of a) ep.actions.push(x);
        ep.logprobs.push(act.logprobs[i]);
        const r = envs[b].step(a);
        steps++;
        ep.ret += r.reward;
        if (r.terminated || r.truncated) alive.delete(b);
        else flattenInto(r.obs, current, b * S);
      });
    }
    for (const env of envs) env.close();
    const T = Math.max(...episodes.map((e) => e.logprobs.length));
    const obsPad = new Float32Array(B * T * S);
    const actPad = this.discrete ? new Int32Array(B * T) : new Float32Array(B * T * A);
    const lpPad = new Float32Array(B * T);
    const mask = new Float32Array(B * T);
    episodes.forEach((ep, b) => {
      obsPad.set(ep.obs, b * T * S);
      actPad.set(ep.actions, b * T * A);
      lpPad.set(ep.logprobs, b * T);
      mask.fill(1, b * T, b * T + ep.logprobs.length);
    });
    const batch: Batch = {
      numSteps: 1,
      numEnvs: B,
      rewards: Float64Array.from(episodes, (e) => e.ret),
      terminated: new Uint8Array(B).fill(1),
      truncated: new Uint8Array(B),
      groupIds: Int32Array.from({ length: B }, (_, b) => Math.floor(b / groupSize)),
    };
    return {
      B,
      T,
      obs: obsPad,
      actions: actPad,
      logprobs: lpPad,
      mask,
      batch,
      episodeReturns: episodes.map((e) => e.ret),
      steps,
    };
  }

  private async updateFromGroups(r: GroupRollout): Promise<Record<string, number>> {
    const o = this.options;
    const lr = this.actor.currentLr;
    const { advantages, metrics: estimatorMetrics } = this.estimator.estimate(r.batch);
    const { T } = r;
    const S = this.obsSize;
    const A = this.actionSize;
    const ActionArray = (this.discrete ? Int32Array : Float32Array) as new (
      n: number,
    ) => Int32Array | Float32Array;
    const perMb = Math.max(1, Math.floor(r.B / o.minibatches));
    const closureFor = (rows: Int32Array): Minibatch => {
      const n = rows.length;
      const obs = gatherRows(r.obs, rows, T * S, Float32Array);
      const actions = gatherRows(r.actions, rows, T * A, ActionArray);
      const tensors = {
        oldLogprobs: tf.tensor2d(gatherRows(r.logprobs, rows, T, Float32Array), [n, T]),
        mask: tf.tensor2d(gatherRows(r.mask, rows, T, Float32Array), [n, T]),
        advantages: tf.tensor1d(Float32Array.from(rows, (b) => advantages[b])),
      };
      const loss = (ev: EvaluateResult) =>
        this.objective.loss({
          logprobs: tf.reshape(ev.logprob, [n, T]),
          entropy: tf.reshape(ev.entropy, [n, T]),
          ...tensors,
        });
      return { obs, actions, loss, dispose: () => disposeAll(tensors) };
    };
    const { metrics } = await runUpdatePhase({
      samples: Int32Array.from({ length: r.B }, (_, b) => b),
      epochs: o.epochs,
      minibatches: Math.floor(r.B / perMb),
      minibatchSize: perMb,
      rng: this.rng,
      objective: this.objective,
      probe: (rows) => this.probeLoss(closureFor(rows)),
      step: (rows) => this.lossStep(closureFor(rows)),
    });
    const out: Record<string, number> = { lr, ...metrics };
    for (const [k, v] of Object.entries(estimatorMetrics ?? {})) out[`advantage/${k}`] = v;
    return out;
  }
}

/** A minibatch's inputs and its objective loss over the policy's evaluation of them. */
interface Minibatch {
  readonly obs: Float32Array;
  readonly actions: Int32Array | Float32Array;
  readonly loss: (evaluation: EvaluateResult) => LossOutput<tf.Tensor>;
  readonly dispose: () => void;
}

/** Objective metrics as plain numbers (scalar tensors are read and disposed). */
function numericMetrics(metrics: Readonly<Record<string, unknown>>): Metrics {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v === "number") out[k] = v;
    else if (v instanceof tf.Tensor) out[k] = v.dataSync()[0];
  }
  return out;
}

function disposeAll(tensors: Readonly<Record<string, tf.Tensor>>): void {
  for (const t of Object.values(tensors)) t.dispose();
}
