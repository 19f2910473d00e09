import { assertInteger, ConfigError, type Rng } from "@rlts/core";
import { InMemoryPromptTask, type PromptExample, type PromptSplit } from "./prompt-task.js";
import { seededRng } from "./seeding.js";

/** An operator of the synthetic arithmetic task. */
export type ArithmeticOperator = "+" | "-" | "*";

/** Options of {@link createArithmeticTask}: the difficulty knobs and the split sizes. */
export interface ArithmeticTaskOptions {
  /** Operands have up to this many digits (uniform in [0, 10^digits − 1]). Default 2. */
  readonly digits?: number;
  /** Operators to draw from, uniformly. Default `["+", "-"]`. */
  readonly operators?: readonly ArithmeticOperator[];
  /** Number of operations per problem: a number, or `[min, max]` drawn uniformly. Default `[1, 2]`. */
  readonly steps?: number | readonly [number, number];
  /** Allow negative intermediate or final results. Default false: such problems are redrawn. */
  readonly allowNegative?: boolean;
  /** Training problems. Default 1000. */
  readonly trainSize?: number;
  /** Test problems; none of their questions occurs in the training split. Default 100. */
  readonly testSize?: number;
  /** Seed of both splits. Default 0. */
  readonly seed?: number;
  /** Question text; `{expression}` is replaced by e.g. `23 + 45 - 7`. Default `"What is {expression}?"`. */
  readonly template?: string;
}

const defaults = {
  digits: 2,
  operators: ["+", "-"] as readonly ArithmeticOperator[],
  steps: [1, 2] as readonly [number, number],
  allowNegative: false,
  trainSize: 1000,
  testSize: 100,
  seed: 0,
  template: "What is {expression}?",
};

/** One generated problem before it becomes a {@link PromptExample}. */
export interface ArithmeticProblem {
  /** `"23 + 45 - 7"`. */
  readonly expression: string;
  /** The exact value, 61. */
  readonly value: number;
  /** One `a<op>b=c` per operation in evaluation order (`*` first), joined by `", "`: `"23+45=68, 68-7=61"`. */
  readonly solution: string;
  readonly steps: number;
}

/**
 * Evaluates `operands[0] op[0] operands[1] ...` with the usual precedence (`*` before `+`/`-`, then left
 * to right) and records each operation. Returns undefined when a result is negative and negatives are off.
 */
export function evaluateArithmetic(
  operands: readonly number[],
  ops: readonly ArithmeticOperator[],
  allowNegative = true,
): { value: number; solution: string } | undefined {
  const stepsText: string[] = [];
  // Multiplications first, left to right.
  const terms: number[] = [operands[0]];
  const addOps: ArithmeticOperator[] = [];
  for (let i = 0; i < ops.length; i++) {
    if (ops[i] === "*") {
      const a = terms[terms.length - 1];
      const b = operands[i + 1];
      const c = a * b;
      stepsText.push(`${a}*${b}=${c}`);
      terms[terms.length - 1] = c;
    } else {
      addOps.push(ops[i]);
      terms.push(operands[i + 1]);
    }
  }
  let value = terms[0];
  for (let i = 0; i < addOps.length; i++) {
    const b = terms[i + 1];
    const c = addOps[i] === "+" ? value + b : value - b;
    stepsText.push(`${value}${addOps[i]}${b}=${c}`);
    value = c;
    if (!allowNegative && value < 0) return undefined;
  }
  return { value, solution: stepsText.join(", ") };
}

function drawProblem(
  rng: Rng,
  digits: number,
  operators: readonly ArithmeticOperator[],
  steps: readonly [number, number],
  allowNegative: boolean,
): ArithmeticProblem {
  const bound = 10 ** digits;
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const n = steps[0] + rng.int(steps[1] - steps[0] + 1);
    const operands = [rng.int(bound)];
    const ops: ArithmeticOperator[] = [];
    for (let i = 0; i < n; i++) {
      ops.push(operators[rng.int(operators.length)]);
      operands.push(rng.int(bound));
    }
    const result = evaluateArithmetic(operands, ops, allowNegative);
    if (!result) continue;
    let expression = String(operands[0]);
    for (let i = 0; i < n; i++) expression += ` ${ops[i]} ${operands[i + 1]}`;
    return { expression, value: result.value, solution: result.solution, steps: n };
  }
  throw new ConfigError(
    "prompts.allowNegative",
    false,
    "almost every drawn problem goes negative with these operators and steps; allow negatives or use fewer '-' steps",
  );
}

function parseSteps(steps: number | readonly [number, number]): [number, number] {
  const range: [number, number] = typeof steps === "number" ? [steps, steps] : [steps[0], steps[1]];
  assertInteger("prompts.steps", range[0], 1);
  assertInteger("prompts.steps", range[1], range[0]);
  return range;
}

/**
 * A seeded synthetic arithmetic task for small models: short questions like `"What is 23 + 45 - 7?"`
 * with exact integer answers (`answer: "61"`, `fields.answer: 61`) and a step-by-step solution
 * (`"23+45=68, 68-7=61"`) for a supervised warm-up. `fields` also holds `expression`, `digits` and
 * `steps`. The test split never repeats a training question.
 */
export function createArithmeticTask(options: ArithmeticTaskOptions = {}): InMemoryPromptTask {
  const digits = options.digits ?? defaults.digits;
  const operators = options.operators ?? defaults.operators;
  const steps = parseSteps(options.steps ?? defaults.steps);
  const allowNegative = options.allowNegative ?? defaults.allowNegative;
  const trainSize = options.trainSize ?? defaults.trainSize;
  const testSize = options.testSize ?? defaults.testSize;
  const seed = options.seed ?? defaults.seed;
  const template = options.template ?? defaults.template;
  assertInteger("prompts.digits", digits, 1);
  assertInteger("prompts.trainSize", trainSize, 0);
  assertInteger("prompts.testSize", testSize, 0);
  if (!Number.isSafeInteger(seed)) throw new ConfigError("prompts.seed", seed, "use a whole number");
  if (!Array.isArray(operators) || operators.length === 0) {
    throw new ConfigError("prompts.operators", operators, 'use a non-empty list of "+", "-", "*"');
  }
  for (const op of operators) {
    if (op !== "+" && op !== "-" && op !== "*") {
      throw new ConfigError("prompts.operators", op, 'use "+", "-" or "*"');
    }
  }
  // Every intermediate value must stay an exact integer in float64: |value| < (10^digits)^(steps+1) ≤ 2^53.
  const maxMagnitude = operators.includes("*") ? digits * (steps[1] + 1) : digits + Math.log10(steps[1] + 1);
  if (maxMagnitude > 15) {
    throw new ConfigError(
      "prompts.digits",
      digits,
      `with ${steps[1]} steps the results may exceed 2^53 and lose exactness; use fewer digits or steps`,
    );
  }
  if (typeof template !== "string" || !template.includes("{expression}")) {
    throw new ConfigError(
      "prompts.template",
      template,
      'include "{expression}", e.g. "What is {expression}?"',
    );
  }
  const root = seededRng(seed);
  const trainRng = root.split();
  const testRng = root.split();
  const toExample = (p: ArithmeticProblem, split: PromptSplit, index: number): PromptExample => {
    const question = template.replace("{expression}", p.expression);
    const answer = String(p.value);
    return {
      id: `arithmetic/${split}/${index}`,
      question,
      answer,
      solution: p.solution,
      fields: {
        question,
        answer: p.value,
        solution: p.solution,
        expression: p.expression,
        digits,
        steps: p.steps,
      },
    };
  };
  const train: PromptExample[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < trainSize; i++) {
    const p = drawProblem(trainRng, digits, operators, steps, allowNegative);
    seen.add(p.expression);
    train.push(toExample(p, "train", i));
  }
  const test: PromptExample[] = [];
  let attempts = 0;
  while (test.length < testSize) {
    if (++attempts > 100 * (testSize + 10)) {
      throw new ConfigError(
        "prompts.testSize",
        testSize,
        "too few distinct problems exist outside the training split; raise digits or steps, or lower the sizes",
      );
    }
    const p = drawProblem(testRng, digits, operators, steps, allowNegative);
    if (seen.has(p.expression)) continue;
    seen.add(p.expression);
    test.push(toExample(p, "test", test.length));
  }
  return new InMemoryPromptTask("arithmetic", { train, test });
}
