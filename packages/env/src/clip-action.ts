import { ConfigError } from "@rlts/core";
import { Box } from "./box.js";
import type { Env, StepResult } from "./env.js";
import type { Space } from "./space.js";
import { Wrapper } from "./wrapper.js";

/**
 * Clips continuous actions into the wrapped env's Box (Gymnasium's `ClipAction`). Its own action space
 * is the unbounded Box of the same shape, so any finite action is accepted; NaN is still rejected.
 */
export class ClipAction<Obs> extends Wrapper<Obs, ArrayLike<number>> {
  private readonly inner: Box;
  private readonly space: Box;

  constructor(env: Env<Obs, ArrayLike<number>>) {
    super(env);
    if (!(env.actionSpace instanceof Box)) {
      throw new ConfigError(
        "env.clipAction",
        String(env.actionSpace),
        "ClipAction applies to continuous (Box) action spaces only; drop it for this env",
      );
    }
    this.inner = env.actionSpace;
    this.space = new Box(
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      this.inner.shape,
      this.inner.dtype,
    );
  }

  override get actionSpace(): Space<ArrayLike<number>> {
    return this.space;
  }

  override step(action: ArrayLike<number>): StepResult<Obs> {
    if (!this.space.contains(action)) return this.env.step(action);
    const { low, high } = this.inner;
    const out = this.inner.dtype === "float64" ? new Float64Array(low.length) : new Float32Array(low.length);
    for (let i = 0; i < low.length; i++) out[i] = Math.min(Math.max(action[i], low[i]), high[i]);
    return this.env.step(out);
  }
}
