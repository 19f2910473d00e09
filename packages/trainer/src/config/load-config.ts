import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, describeValue } from "@rlts/core";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { type GrpoConfig, grpoConfigSchema } from "./schema.js";

/** One problem found while validating a config: the dotted field, the value found and the fix. */
export interface ConfigIssue {
  readonly field: string;
  readonly value: unknown;
  readonly fix: string;
}

/**
 * A config file failed validation. `field`, `value` and `fix` describe the first issue (as
 * `ConfigError`); `issues` holds all of them and the message lists each on its own line.
 */
export class ConfigValidationError extends ConfigError {
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues[0].field, issues[0].value, issues[0].fix);
    this.message = `invalid config ${source}:\n${issues
      .map((i) => `  ${i.field}: got ${describeValue(i.value)}; ${i.fix}`)
      .join("\n")}`;
  }
}

/** A validated config plus where it came from. */
export interface LoadedConfig {
  readonly config: GrpoConfig;
  /** Directory relative paths in the config resolve against (the config file's folder). */
  readonly baseDir: string;
  /** The file it was read from, or a label such as `"<inline>"`. */
  readonly source: string;
}

function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || "(config)";
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur == null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): ConfigIssue[] {
  const field = fieldName(issue.path);
  const value = valueAt(root, issue.path);
  switch (issue.code) {
    case "invalid_value":
      return [{ field, value, fix: `use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` }];
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        field: fieldName([...issue.path, key]),
        value: valueAt(root, [...issue.path, key]),
        fix: `unknown option (misspelt?); remove it or use a documented option of ${field}`,
      }));
    case "invalid_type":
      return [
        {
          field,
          value,
          fix: value === undefined ? `required: give a ${issue.expected}` : `use a ${issue.expected}`,
        },
      ];
    case "too_small":
      return [
        {
          field,
          value,
          fix: `use ${issue.origin === "array" || issue.origin === "string" ? "a length " : "a value "}${
            issue.inclusive ? "≥" : ">"
          } ${issue.minimum}`,
        },
      ];
    case "too_big":
      return [{ field, value, fix: `use a value ${issue.inclusive ? "≤" : "<"} ${issue.maximum}` }];
    case "invalid_union":
      return [
        {
          field,
          value,
          fix:
            field.endsWith("reward") || /(task|advantage|objective)$/.test(field)
              ? "name a plugin: a string, or { name, ...options } (a list of them for reward)"
              : issue.message,
        },
      ];
    default:
      return [{ field, value, fix: issue.message }];
  }
}

/**
 * Validates a config object (already parsed from YAML or built in code) and fills in defaults. Throws
 * {@link ConfigValidationError} naming every bad field by its dotted path, with the allowed values.
 */
export function parseConfig(value: unknown, source = "<inline>"): GrpoConfig {
  const result = grpoConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => describeIssue(issue, value));
  throw new ConfigValidationError(source, issues);
}

/**
 * Reads and validates a YAML config file. Relative paths inside it (`runDir`, `model.checkpoint`, the
 * task's `path`/`files`) resolve against the file's folder.
 */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError("config", path, `cannot read the config file (${(error as Error).message})`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError("config", path, `not valid YAML: ${(error as Error).message}`);
  }
  return { config: parseConfig(data, path), baseDir: dirname(file), source: path };
}

/** `path` resolved against `baseDir` unless absolute. */
export function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
