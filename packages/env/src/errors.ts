import { describeValue, RltsError } from "@rlts/core";

/**
 * An action outside the environment's action space. Gymnasium asserts `action_space.contains(action)`;
 * rlts throws instead, so a policy bug never turns into silently clipped or NaN dynamics.
 */
export class InvalidActionError extends RltsError {
  constructor(
    readonly env: string,
    readonly action: unknown,
    readonly space: string,
  ) {
    super(
      `${env}.step(action): got ${describeValue(action)}, which is not in the action space ${space}; ` +
        "sample actions from env.actionSpace (or wrap the env in ClipAction for continuous actions)",
    );
  }
}

/** A line of a JSONL dataset that cannot be used. Names the file and the 1-based line number. */
export class DatasetFormatError extends RltsError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}. Fix the line, or load with onError: "skip" to skip malformed lines`);
  }
}
