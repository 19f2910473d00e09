import type { ConformanceEnv } from "@rlts/testing";
import { expectTypeOf, test } from "vitest";
import {
  type Box,
  CartPoleEnv,
  type CartPoleVecEnv,
  createArithmeticTask,
  type Discrete,
  type Env,
  makeEnv,
  type PendulumEnv,
  type PromptExample,
  type PromptTask,
  type Space,
  type SyncVecEnv,
  type VecEnv,
} from "../src/index.js";

test("the built-in envs are Envs with their observation and action types", () => {
  expectTypeOf<CartPoleEnv>().toExtend<Env<Float32Array, number>>();
  expectTypeOf<PendulumEnv>().toExtend<Env<Float32Array, ArrayLike<number>>>();
  expectTypeOf<CartPoleEnv["actionSpace"]>().toExtend<Discrete>();
  expectTypeOf<PendulumEnv["actionSpace"]>().toExtend<Box>();
  expectTypeOf<Box>().toExtend<Space<Float32Array>>();
  expectTypeOf(new CartPoleEnv().step).parameter(0).toEqualTypeOf<number>();
});

test("an Env satisfies the structural contract @rlts/testing checks", () => {
  expectTypeOf(makeEnv).returns.toExtend<ConformanceEnv>();
  expectTypeOf<CartPoleEnv>().toExtend<ConformanceEnv>();
});

test("both vector envs implement VecEnv, and prompt tasks hand out PromptExamples", () => {
  expectTypeOf<SyncVecEnv>().toExtend<VecEnv>();
  expectTypeOf<CartPoleVecEnv>().toExtend<VecEnv>();
  expectTypeOf(createArithmeticTask).returns.toExtend<PromptTask>();
  expectTypeOf<ReturnType<PromptTask["get"]>>().toEqualTypeOf<PromptExample>();
});
