import { ConfigError } from "@rlts/core";

/**
 * Throws {@link ConfigError} for an option key the plugin does not know: a misspelt `strcit: true`
 * would otherwise be ignored silently and grade differently from what the config says.
 */
export function assertKnownKeys(prefix: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `${prefix}.${key}`,
        (options as Record<string, unknown>)[key],
        `remove it; known options: ${known.join(", ")}`,
      );
    }
  }
}

/** Throws {@link ConfigError} unless `value` is a finite number. */
export function assertFiniteNumber(field: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ConfigError(field, value, "use a finite number");
  }
}

/** Throws {@link ConfigError} unless `value` is a boolean. */
export function assertBoolean(field: string, value: unknown): asserts value is boolean {
  if (typeof value !== "boolean") throw new ConfigError(field, value, "use true or false");
}

/** Throws {@link ConfigError} unless `value` is a non-empty string. */
export function assertNonEmptyString(field: string, value: unknown): asserts value is string {
  if (typeof value !== "string" || value.length === 0)
    throw new ConfigError(field, value, "use a non-empty string");
}
