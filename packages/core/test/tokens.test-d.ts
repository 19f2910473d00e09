import { expectTypeOf, test } from "vitest";
import {
  type AdvantageEstimator,
  AdvantageEstimator as AdvantageEstimatorToken,
  bind,
  createContainer,
  PluginRegistry,
  resolve,
  token,
} from "../src/index.js";

class GoodEstimator implements AdvantageEstimator {
  readonly name = "good";
  readonly requires = [] as const;
  estimate() {
    return { advantages: new Float64Array(0) };
  }
}

class NotAnEstimator {
  readonly name = "bad";
  score(): number {
    return 1;
  }
}

test("bind accepts only classes that implement the token's interface", () => {
  const container = createContainer();
  bind(container, AdvantageEstimatorToken, GoodEstimator);
  // @ts-expect-error NotAnEstimator lacks `requires` and `estimate`
  bind(container, AdvantageEstimatorToken, NotAnEstimator);
  const Count = token<number>("test/Count");
  // @ts-expect-error a token of number cannot be bound to a class
  bind(container, Count, GoodEstimator);
});

test("resolve returns the token's type", () => {
  const container = createContainer();
  expectTypeOf(resolve(container, AdvantageEstimatorToken)).toEqualTypeOf<AdvantageEstimator>();
});

test("register checks the factory against the kind", () => {
  const registry: PluginRegistry = new PluginRegistry();
  registry.register("advantage", "good", () => new GoodEstimator());
  // @ts-expect-error an objective factory must return an Objective
  registry.register("objective", "bad", () => new GoodEstimator());
});
