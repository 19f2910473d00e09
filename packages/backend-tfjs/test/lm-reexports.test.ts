import * as lm from "@rlts/lm";
import { describe, expect, it } from "vitest";
import * as tfjs from "../src/index.js";

// The engine-independent pieces live in @rlts/lm; this package re-exports them unchanged, so
// `import { CharTokenizer, sampleFromLogits } from "@rlts/backend-tfjs"` keeps working.
describe("names re-exported from @rlts/lm", () => {
  it("are the same objects", () => {
    expect(tfjs.CharTokenizer).toBe(lm.CharTokenizer);
    expect(tfjs.specialTokens).toBe(lm.specialTokens);
    expect(tfjs.checkSamplingOptions).toBe(lm.checkSamplingOptions);
    expect(tfjs.checkScoreTemperature).toBe(lm.checkScoreTemperature);
    expect(tfjs.logSoftmax64).toBe(lm.logSoftmax64);
    expect(tfjs.sampleFromLogits).toBe(lm.sampleFromLogits);
    expect(tfjs.samplingDistribution).toBe(lm.samplingDistribution);
    expect(tfjs.temperatureScaled).toBe(lm.temperatureScaled);
    expect(tfjs.sampleActions).toBe(lm.sampleActions);
  });
});
