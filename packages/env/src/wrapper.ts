import type { Env, EnvSpec, ResetOptions, ResetResult, StepResult } from "./env.js";
import type { Space } from "./space.js";

/**
 * Base of every wrapper (Gymnasium's `Wrapper`): forwards everything to the wrapped `env`. Subclasses
 * override `reset`/`step` and, when they change them, the spaces.
 */
export class Wrapper<Obs, Act, InnerObs = Obs, InnerAct = Act> implements Env<Obs, Act> {
  constructor(readonly env: Env<InnerObs, InnerAct>) {}

  get observationSpace(): Space<Obs> {
    return this.env.observationSpace as unknown as Space<Obs>;
  }

  get actionSpace(): Space<Act> {
    return this.env.actionSpace as unknown as Space<Act>;
  }

  get spec(): EnvSpec | undefined {
    return this.env.spec;
  }

  get unwrapped(): Env {
    return this.env.unwrapped;
  }

  reset(options?: ResetOptions): ResetResult<Obs> {
    return this.env.reset(options) as unknown as ResetResult<Obs>;
  }

  step(action: Act): StepResult<Obs> {
    return this.env.step(action as unknown as InnerAct) as unknown as StepResult<Obs>;
  }

  close(): void {
    this.env.close();
  }
}
