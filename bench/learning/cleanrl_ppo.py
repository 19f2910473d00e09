"""CleanRL `ppo.py`-style PPO on CartPole-v1 in PyTorch, with the hyper-parameters of the rlts
`ppo-cartpole` run of `pnpm bench learning` (bench/learning/index.ts), for a side-by-side throughput
figure in the same bench run.

Gymnasium is not needed: CartPole-v1 (Gymnasium classic_control/cartpole.py with the 500-step
TimeLimit) and a synchronous vector env with same-step autoreset (Gymnasium 0.29's SyncVectorEnv, as
rlts's vector env) are written out below in plain Python and NumPy.

Where rlts's defaults differ from CleanRL's, this script follows rlts (the point is the same
algorithm on both sides):

- Adam ε 1e-8 (rlts AdamW with weight decay 0; CleanRL uses 1e-5);
- the learning rate anneals linearly to 0 over the optimiser steps of the budget, updated before each
  step (rlts `learningRateAt`), rather than once per update;
- GAE bootstraps a time-limit truncation from V(final observation) (rlts/SB3), where CleanRL treats
  it as terminal.

Training stops at the budget or at the first greedy evaluation (20 episodes, every 8,192 env steps)
reaching 475, as the rlts run does, and `envStepsPerSecond` is env steps over the wall clock of the
whole training loop, evaluations included, as rlts's `envSteps / wallSeconds`.

    /usr/bin/python3 cleanrl_ppo.py [--seed 1] [--threads 1] [--budget 100000]

prints one JSON line. The thread count is applied to PyTorch and, by re-executing with
OMP_NUM_THREADS/OPENBLAS_NUM_THREADS/MKL_NUM_THREADS set, to its BLAS.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.distributions.categorical import Categorical

# ---- the ppo-cartpole run of bench/learning/index.ts (SB3-zoo CartPole-v1 PPO) ---------------------
NUM_ENVS = 8
NUM_STEPS = 32
GAMMA = 0.98
GAE_LAMBDA = 0.8
UPDATE_EPOCHS = 20
NUM_MINIBATCHES = 1
LEARNING_RATE = 1e-3
CLIP_COEF = 0.2
ENT_COEF = 0.0
# rlts defaults (packages/objectives/src/ppo.ts, packages/trainer/src/options.ts): CleanRL's.
VF_COEF = 0.5
CLIP_VLOSS = True
NORM_ADV = True
MAX_GRAD_NORM = 0.5
ADAM_EPS = 1e-8
THRESHOLD = 475.0
EVAL_EVERY = 8192
EVAL_EPISODES = 20
MAX_EPISODE_STEPS = 500


class CartPoleEnv:
    """Gymnasium's CartPole-v1 dynamics (Euler integrator), reward 1 per step, without rendering."""

    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5  # half the pole's length
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(self):
        self.np_random = np.random.default_rng()
        self.state = None

    def reset(self, seed=None):
        if seed is not None:
            # gymnasium.utils.seeding.np_random(seed): a PCG64 Generator from SeedSequence(seed).
            self.np_random = np.random.default_rng(seed)
        self.state = self.np_random.uniform(low=-0.05, high=0.05, size=(4,))
        return np.array(self.state, dtype=np.float32)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta = math.cos(theta)
        sintheta = math.sin(theta)
        temp = (force + self.polemass_length * np.square(theta_dot) * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * np.square(costheta) / self.total_mass)
        )
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = np.array((x, x_dot, theta, theta_dot), dtype=np.float64)
        terminated = bool(
            x < -self.x_threshold
            or x > self.x_threshold
            or theta < -self.theta_threshold_radians
            or theta > self.theta_threshold_radians
        )
        return np.array(self.state, dtype=np.float32), 1.0, terminated, False, {}


class SyncVectorEnv:
    """`n` CartPole-v1 envs stepped in turn, each under a 500-step TimeLimit, with same-step autoreset:
    an ending env hands out its next episode's first observation and keeps the last one in
    `final_obs` (Gymnasium 0.29 SyncVectorEnv + RecordEpisodeStatistics, and rlts's vector env)."""

    def __init__(self, n):
        self.envs = [CartPoleEnv() for _ in range(n)]
        self.elapsed = [0] * n
        self.returns = [0.0] * n
        self.obs = np.zeros((n, 4), dtype=np.float32)

    def reset(self, seed):
        for e, env in enumerate(self.envs):
            self.obs[e] = env.reset(seed=seed + e)
            self.elapsed[e] = 0
            self.returns[e] = 0.0
        return self.obs.copy()

    def step(self, actions):
        n = len(self.envs)
        rewards = np.zeros(n, dtype=np.float32)
        terminated = np.zeros(n, dtype=bool)
        truncated = np.zeros(n, dtype=bool)
        final_obs = np.zeros((n, 4), dtype=np.float32)
        episode_returns = []
        for e, env in enumerate(self.envs):
            obs, reward, term, trunc, _ = env.step(int(actions[e]))
            self.elapsed[e] += 1
            trunc = trunc or self.elapsed[e] >= MAX_EPISODE_STEPS  # TimeLimit
            self.returns[e] += reward
            rewards[e], terminated[e], truncated[e] = reward, term, trunc
            if term or trunc:
                final_obs[e] = obs
                episode_returns.append(self.returns[e])
                obs = env.reset()
                self.elapsed[e] = 0
                self.returns[e] = 0.0
            self.obs[e] = obs
        return self.obs.copy(), rewards, terminated, truncated, final_obs, episode_returns


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    """CleanRL's agent, and rlts's MlpPolicy defaults: separate tanh trunks [64, 64], orthogonal init
    (gain √2, policy head 0.01, value head 1), zero biases."""

    def __init__(self, obs_dim, n_actions):
        super().__init__()
        self.critic = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 1), std=1.0),
        )
        self.actor = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, n_actions), std=0.01),
        )

    def get_value(self, x):
        return self.critic(x)

    def get_action_and_value(self, x, action=None):
        logits = self.actor(x)
        probs = Categorical(logits=logits)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(x)


def evaluate(agent, seed):
    """Mean return of 20 greedy episodes, one per env of a fresh vector env (rlts `evaluateGreedy`)."""
    envs = SyncVectorEnv(EVAL_EPISODES)
    obs = envs.reset(seed)
    returns = np.zeros(EVAL_EPISODES)
    done = np.zeros(EVAL_EPISODES, dtype=bool)
    while not done.all():
        with torch.no_grad():
            actions = agent.actor(torch.from_numpy(obs)).argmax(dim=1).numpy()
        obs, rewards, terminated, truncated, _, _ = envs.step(actions)
        returns += np.where(done, 0.0, rewards)
        done |= terminated | truncated
    return float(returns.mean())


def train(seed, budget):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    envs = SyncVectorEnv(NUM_ENVS)
    agent = Agent(4, 2)
    optimizer = torch.optim.Adam(agent.parameters(), lr=LEARNING_RATE, eps=ADAM_EPS)
    batch_size = NUM_ENVS * NUM_STEPS
    minibatch_size = batch_size // NUM_MINIBATCHES
    num_updates = math.ceil(budget / batch_size)
    total_optimizer_steps = num_updates * UPDATE_EPOCHS * NUM_MINIBATCHES
    optimizer_steps = 0

    obs = torch.zeros((NUM_STEPS, NUM_ENVS, 4))
    actions = torch.zeros((NUM_STEPS, NUM_ENVS), dtype=torch.long)
    logprobs = torch.zeros((NUM_STEPS, NUM_ENVS))
    rewards = torch.zeros((NUM_STEPS, NUM_ENVS))
    terminateds = torch.zeros((NUM_STEPS, NUM_ENVS))
    truncateds = torch.zeros((NUM_STEPS, NUM_ENVS))
    values = torch.zeros((NUM_STEPS, NUM_ENVS))
    truncation_values = torch.zeros((NUM_STEPS, NUM_ENVS))

    start = time.perf_counter()
    rollout_seconds = eval_seconds = 0.0
    env_steps = 0
    next_eval = EVAL_EVERY
    steps_to_threshold = None
    eval_return = float("nan")
    evaluations = 0
    next_obs = torch.from_numpy(envs.reset(seed))
    while env_steps < budget and steps_to_threshold is None:
        t0 = time.perf_counter()
        truncation_values.zero_()
        for step in range(NUM_STEPS):
            obs[step] = next_obs
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs)
            values[step] = value.flatten()
            actions[step] = action
            logprobs[step] = logprob
            next_np, reward, terminated, truncated, final_obs, _ = envs.step(action.numpy())
            rewards[step] = torch.from_numpy(reward)
            terminateds[step] = torch.from_numpy(terminated.astype(np.float32))
            truncateds[step] = torch.from_numpy(truncated.astype(np.float32))
            bootstrap = truncated & ~terminated
            if bootstrap.any():
                # V(final observation) of a time-limit truncation (rlts/SB3 terminal_observation).
                with torch.no_grad():
                    v = agent.get_value(torch.from_numpy(final_obs[bootstrap])).flatten()
                truncation_values[step, torch.from_numpy(bootstrap)] = v
            next_obs = torch.from_numpy(next_np)
        rollout_seconds += time.perf_counter() - t0
        env_steps += batch_size

        # GAE(γ, λ), walking back; rlts's gaeKernel: terminated → no bootstrap; truncated →
        # bootstrap from V(final obs); both end the λ-trace.
        with torch.no_grad():
            next_value = agent.get_value(next_obs).reshape(1, -1)
            advantages = torch.zeros_like(rewards)
            lastgaelam = torch.zeros(NUM_ENVS)
            for t in reversed(range(NUM_STEPS)):
                following = next_value.flatten() if t == NUM_STEPS - 1 else values[t + 1]
                following = torch.where(truncateds[t] > 0, truncation_values[t], following)
                nextnonterminal = 1.0 - terminateds[t]
                done = torch.maximum(terminateds[t], truncateds[t])
                delta = rewards[t] + GAMMA * following * nextnonterminal - values[t]
                lastgaelam = delta + GAMMA * GAE_LAMBDA * (1.0 - done) * lastgaelam
                advantages[t] = lastgaelam
            returns = advantages + values

        b_obs = obs.reshape((-1, 4))
        b_logprobs = logprobs.reshape(-1)
        b_actions = actions.reshape(-1)
        b_advantages = advantages.reshape(-1)
        b_returns = returns.reshape(-1)
        b_values = values.reshape(-1)
        clipfracs = []
        for epoch in range(UPDATE_EPOCHS):
            b_inds = rng.permutation(batch_size)
            for begin in range(0, batch_size, minibatch_size):
                mb_inds = torch.from_numpy(b_inds[begin:begin + minibatch_size])
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb_inds], b_actions[mb_inds])
                logratio = newlogprob - b_logprobs[mb_inds]
                ratio = logratio.exp()
                with torch.no_grad():
                    old_approx_kl = (-logratio).mean()
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfracs += [((ratio - 1.0).abs() > CLIP_COEF).float().mean().item()]
                mb_advantages = b_advantages[mb_inds]
                if NORM_ADV:
                    mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)
                pg_loss1 = -mb_advantages * ratio
                pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - CLIP_COEF, 1 + CLIP_COEF)
                pg_loss = torch.max(pg_loss1, pg_loss2).mean()
                newvalue = newvalue.view(-1)
                if CLIP_VLOSS:
                    v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                    v_clipped = b_values[mb_inds] + torch.clamp(
                        newvalue - b_values[mb_inds], -CLIP_COEF, CLIP_COEF
                    )
                    v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                    v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
                else:
                    v_loss = 0.5 * ((newvalue - b_returns[mb_inds]) ** 2).mean()
                entropy_loss = entropy.mean()
                loss = pg_loss - ENT_COEF * entropy_loss + v_loss * VF_COEF

                # rlts anneals per optimiser step: lr·(1 − k/K) over the K steps of the budget.
                optimizer.param_groups[0]["lr"] = LEARNING_RATE * (1.0 - optimizer_steps / total_optimizer_steps)
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), MAX_GRAD_NORM)
                optimizer.step()
                optimizer_steps += 1
                loss.item()  # rlts reads every step's loss (and metrics) back too

        if env_steps >= next_eval:
            next_eval += EVAL_EVERY
            t1 = time.perf_counter()
            eval_return = evaluate(agent, seed + 1_000_003)
            eval_seconds += time.perf_counter() - t1
            evaluations += 1
            if eval_return >= THRESHOLD:
                steps_to_threshold = env_steps
    if steps_to_threshold is None:
        t1 = time.perf_counter()
        eval_return = evaluate(agent, seed + 1_000_003)
        eval_seconds += time.perf_counter() - t1
        evaluations += 1
        if eval_return >= THRESHOLD:
            steps_to_threshold = env_steps
    wall = time.perf_counter() - start
    return {
        "reached": steps_to_threshold is not None,
        "stepsToThreshold": steps_to_threshold,
        "finalEvalReturn": round(eval_return, 2),
        "envSteps": env_steps,
        "evaluations": evaluations,
        "wallSeconds": round(wall, 2),
        "rolloutSeconds": round(rollout_seconds, 2),
        "evalSeconds": round(eval_seconds, 2),
        "envStepsPerSecond": round(env_steps / wall),
        "envStepsPerSecondExcludingEval": round(env_steps / (wall - eval_seconds)),
    }


def blas_library():
    """The BLAS libtorch loaded (Linux), as folder/file (see bench/train-step/README.md)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {os.path.realpath(line.split()[-1]) for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    names = sorted({f"{os.path.basename(os.path.dirname(p))}/{os.path.basename(p)}" for p in paths})
    return ", ".join(n for n in names if "lapack" not in n) or "none found"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--budget", type=int, default=100_000)
    args = parser.parse_args()
    threads = str(args.threads)
    variables = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    if any(os.environ.get(v) != threads for v in variables):
        # The BLAS reads its thread count when it loads: restart with it set.
        env = {**os.environ, **{v: threads for v in variables}}
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    result = train(args.seed, args.budget)
    print(json.dumps({
        "benchmark": "cleanrl-ppo-cartpole",
        "version": torch.__version__,
        "blas": blas_library(),
        "threads": torch.get_num_threads(),
        "seed": args.seed,
        "threshold": THRESHOLD,
        "budget": args.budget,
        **result,
    }))


if __name__ == "__main__":
    main()
