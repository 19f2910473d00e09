/**
 * Base class of every error rlts throws on purpose. Messages name the field, the bad value and the fix.
 */
export class RltsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Renders a value for an error message: short, and never `[object Object]`. */
export function describeValue(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || value == null || typeof value === "bigint") {
    return String(value);
  }
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A configuration or option value is wrong. `field` is the dotted path of the option, e.g. `advantage.epsilon`. */
export class ConfigError extends RltsError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly fix: string,
  ) {
    super(`${field}: got ${describeValue(value)}; ${fix}`);
  }
}

/** A plugin name was asked for that is not registered for its kind. Lists the names that are. */
export class PluginNotFoundError extends RltsError {
  constructor(
    readonly kind: string,
    readonly pluginName: string,
    readonly known: readonly string[],
    /** The config field that named it, when known (`rollout.engine`, `trainer.objective`). */
    readonly field?: string,
  ) {
    const names = known.map((n) => JSON.stringify(n)).join(", ");
    super(
      `${field ? `${field}: got ${JSON.stringify(pluginName)}; use one of ${names || "(none registered)"}: ` : ""}no ${kind} plugin named ${JSON.stringify(pluginName)}; known ${kind} plugins: ${
        known.length ? names : "(none registered)"
      }. Register it with registry.register("${kind}", name, factory) or load its package under plugins:`,
    );
  }
}

/** A plugin name was registered twice for the same kind. */
export class DuplicatePluginError extends RltsError {
  constructor(
    readonly kind: string,
    readonly pluginName: string,
  ) {
    super(
      `a ${kind} plugin named ${JSON.stringify(pluginName)} is already registered; choose another name ` +
        "(names are unique per kind) or register the plugin package only once",
    );
  }
}

/** Arrays or tensors whose lengths or shapes disagree. */
export class ShapeError extends RltsError {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${field}: expected ${expected}, got ${actual}`);
  }
}

/** A numeric input holds NaN or ±Infinity where a finite number is required. */
export class NonFiniteError extends RltsError {
  constructor(
    readonly field: string,
    readonly index: number,
    readonly value: number,
  ) {
    super(
      `${field}[${index}] is ${value}; every entry must be a finite number. ${nonFiniteHint(field, value)}`,
    );
  }
}

/** The likely cause of a non-finite entry, by what the field holds: a grader's hint only for rewards. */
function nonFiniteHint(field: string, value: number): string {
  if (value === undefined) {
    return "The entry is missing: the array is shorter than the data it describes, or it was never filled in";
  }
  if (/reward|score/i.test(field)) {
    return "Check the reward function or environment that produced it (a grader that cannot score should return null, not NaN)";
  }
  return "Check the model, environment or computation that produced it";
}

/** A plugin package could not be loaded, or does not export `register(container)`. */
export class PluginLoadError extends RltsError {
  constructor(
    readonly packageName: string,
    reason: string,
  ) {
    super(`plugin package ${JSON.stringify(packageName)}: ${reason}`);
  }
}

/** An operation that needs a finished reset, open session or similar was called in the wrong state. */
export class StateError extends RltsError {}
