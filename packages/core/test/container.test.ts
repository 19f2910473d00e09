import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { describe, expect, it } from "vitest";
import { bind, bindValue, createContainer, createRng, Rng, resolve, token } from "../src/index.js";

interface Clock {
  now(): number;
}
const Clock = token<Clock>("test/Clock");

class FixedClock implements Clock {
  disposed = 0;
  now(): number {
    return 7;
  }
  dispose(): void {
    this.disposed++;
  }
}

@injectable()
class UsesClock {
  constructor(@inject(Clock) readonly clock: Clock) {}
}

describe("typed tokens over tsyringe", () => {
  it("resolves a bound class through its token with explicit @inject", () => {
    const container = createContainer();
    bind(container, Clock, FixedClock);
    const user = container.resolve(UsesClock);
    expect(user.clock.now()).toBe(7);
    expect(resolve(container, Clock)).toBe(user.clock);
  });

  it("gives the same symbol for the same key from two token() calls", () => {
    expect(token<Clock>("test/Clock")).toBe(Clock);
  });

  it("disposes what the container built, and not values it was given", async () => {
    const container = createContainer();
    bind(container, Clock, FixedClock);
    const given = new FixedClock();
    const Given = token<FixedClock>("test/Given");
    bindValue(container, Given, given);
    const built = resolve(container, Clock) as FixedClock;
    resolve(container, Given);
    await container.dispose();
    expect(built.disposed).toBe(1);
    expect(given.disposed).toBe(0);
  });

  it("keeps bindings of sibling child containers apart", () => {
    const a = createContainer();
    const b = createContainer();
    bindValue(a, Rng, createRng(1));
    expect(a.isRegistered(Rng, true)).toBe(true);
    expect(b.isRegistered(Rng, true)).toBe(false);
  });
});
