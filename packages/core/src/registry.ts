import { createRequire } from "node:module";
import { join, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type { DependencyContainer } from "tsyringe";
import type { AdvantageEstimator } from "./contracts/advantage.js";
import type { Engine } from "./contracts/engine.js";
import type { Callback } from "./contracts/metrics.js";
import type { Objective } from "./contracts/objective.js";
import type { RewardFunction } from "./contracts/reward.js";
import { ConfigError, DuplicatePluginError, PluginLoadError, PluginNotFoundError } from "./errors.js";
import { bindValue, isBound, resolve, token } from "./token.js";

/**
 * What each plugin kind builds. Packages that add a kind-specific interface (e.g. `@rlts/env`'s `Env`)
 * narrow `env` at their own call sites; the registry only guarantees a non-null object.
 */
export interface PluginTypes {
  env: object;
  advantage: AdvantageEstimator;
  objective: Objective;
  reward: RewardFunction;
  engine: Engine;
  callback: Callback;
}

/** The kinds of plugin the registry holds. */
export type PluginKind = keyof PluginTypes;

/** Every {@link PluginKind}, in a stable order. */
export const pluginKinds: readonly PluginKind[] = [
  "env",
  "advantage",
  "objective",
  "reward",
  "engine",
  "callback",
];

/** What a factory receives besides its options. */
export interface PluginContext {
  /** The run's container: resolve shared services (the Rng, the engine) from it. */
  readonly container: DependencyContainer;
  /** The registry, to build nested plugins (a composite reward builds its parts). */
  readonly registry: PluginRegistry;
}

/** Options of a plugin as written in a config. */
export type PluginOptions = Readonly<Record<string, unknown>>;

/** Builds a plugin from its options. Validate options here and throw `ConfigError` naming the field. */
export type PluginFactory<T> = (options: PluginOptions, context: PluginContext) => T;

/** Metadata shown by `describe` and in "unknown name" errors. */
export interface PluginInfo {
  readonly kind: PluginKind;
  readonly name: string;
  readonly description?: string;
}

interface Entry {
  readonly info: PluginInfo;
  readonly factory: PluginFactory<unknown>;
}

/**
 * Maps `(kind, name)` to a factory. Built-in and third-party plugins register through the same
 * method; the trainer never special-cases a built-in. A registry belongs to one container (see
 * {@link createContainer}), so two runs in one process do not see each other's registrations.
 */
export class PluginRegistry {
  private readonly entries = new Map<PluginKind, Map<string, Entry>>();
  private keepTaken = false;

  /**
   * Runs `register` (e.g. `() => registerObjectives(container)`) so that registrations of names already
   * taken are skipped instead of throwing: the plugins already in the registry win. A trainer adds the
   * built-ins this way to a container its caller may have filled, one name at a time.
   */
  registerMissing(register: () => void): void {
    const before = this.keepTaken;
    this.keepTaken = true;
    try {
      register();
    } finally {
      this.keepTaken = before;
    }
  }

  /**
   * Adds a named plugin. Throws {@link DuplicatePluginError} if the name is taken for that kind.
   * @returns the registry, for chaining.
   */
  register<K extends PluginKind>(
    kind: K,
    name: string,
    factory: PluginFactory<PluginTypes[K]>,
    info: { readonly description?: string } = {},
  ): this {
    if (!pluginKinds.includes(kind)) {
      throw new ConfigError("kind", kind, `use one of ${pluginKinds.join(", ")}`);
    }
    if (typeof name !== "string" || name.length === 0) {
      throw new ConfigError(`${kind} plugin name`, name, "use a non-empty string");
    }
    const byName = this.byKind(kind);
    if (byName.has(name)) {
      if (this.keepTaken) return this;
      throw new DuplicatePluginError(kind, name);
    }
    byName.set(name, { info: { kind, name, ...info }, factory: factory as PluginFactory<unknown> });
    return this;
  }

  /** Whether a plugin of that kind and name is registered. */
  has(kind: PluginKind, name: string): boolean {
    return this.byKind(kind).has(name);
  }

  /** The registered names of a kind, sorted. */
  list(kind: PluginKind): string[] {
    return [...this.byKind(kind).keys()].sort();
  }

  /** Metadata of a registered plugin; throws {@link PluginNotFoundError} listing the known names. */
  describe(kind: PluginKind, name: string): PluginInfo {
    return this.entry(kind, name).info;
  }

  /**
   * Builds the plugin `name` of `kind` with `options`. Throws {@link PluginNotFoundError} (listing the
   * known names) for an unknown name.
   */
  create<K extends PluginKind>(
    kind: K,
    name: string,
    options: PluginOptions,
    container: DependencyContainer,
  ): PluginTypes[K] {
    const built = this.entry(kind, name).factory(options ?? {}, { container, registry: this });
    if (built == null || typeof built !== "object") {
      throw new PluginLoadError(
        `${kind}:${name}`,
        `its factory returned ${String(built)} instead of an object`,
      );
    }
    return built as PluginTypes[K];
  }

  private entry(kind: PluginKind, name: string): Entry {
    const found = this.byKind(kind).get(name);
    if (!found) throw new PluginNotFoundError(kind, name, this.list(kind));
    return found;
  }

  private byKind(kind: PluginKind): Map<string, Entry> {
    let byName = this.entries.get(kind);
    if (!byName) {
      byName = new Map();
      this.entries.set(kind, byName);
    }
    return byName;
  }
}

/**
 * tsyringe's root container, loaded on first use rather than at import: tsyringe throws on load unless
 * the `reflect-metadata` polyfill came first, and code that only uses the plain functions of a plugin
 * package (no dependency injection) should not need it.
 */
function rootContainer(): DependencyContainer {
  const tsyringe = createRequire(import.meta.url)("tsyringe") as typeof import("tsyringe");
  return tsyringe.container;
}

/** Injection token for the container's {@link PluginRegistry}. */
export const PluginRegistryToken = token<PluginRegistry>("@rlts/core/PluginRegistry");

/**
 * Creates a child container with its own, empty {@link PluginRegistry}: one per run. Disposing it
 * (`await container.dispose()`) disposes every singleton it built.
 */
export function createContainer(parent?: DependencyContainer): DependencyContainer {
  const child = (parent ?? rootContainer()).createChildContainer();
  bindValue(child, PluginRegistryToken, new PluginRegistry());
  return child;
}

/** The registry of `container` (made by {@link createContainer}). */
export function getRegistry(container: DependencyContainer): PluginRegistry {
  if (!isBound(container, PluginRegistryToken)) {
    throw new ConfigError(
      "container",
      "a container without a plugin registry",
      "create it with createContainer() from @rlts/core",
    );
  }
  return resolve(container, PluginRegistryToken);
}

/** What a plugin package exports: `register(container)` adds its named plugins. */
export interface PluginModule {
  register(container: DependencyContainer): void | Promise<void>;
}

/** How {@link loadPlugins} finds packages. */
export interface LoadPluginsOptions {
  /** Directory (absolute or relative to the working directory) the package names resolve from. Default: `process.cwd()`. */
  readonly from?: string;
}

async function importPlugin(packageName: string, from: string): Promise<unknown> {
  let resolved: string | undefined;
  try {
    resolved = createRequire(join(from, "package.json")).resolve(packageName);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // An ESM-only package without a "default"/"require" export cannot be resolved by require; let
    // import() resolve it below. Anything else means it is not installed.
    if (code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") {
      throw new PluginLoadError(packageName, `not found from ${from}; install it (pnpm add ${packageName})`);
    }
  }
  try {
    return await import(resolved ? pathToFileURL(resolved).href : packageName);
  } catch (error) {
    throw new PluginLoadError(packageName, `failed to import: ${(error as Error).message}`);
  }
}

/**
 * Imports third-party plugin packages by name and calls their `register(container)`, in order.
 * Throws {@link PluginLoadError} naming the package when it is not installed or exports no `register`.
 */
export async function loadPlugins(
  container: DependencyContainer,
  packageNames: readonly string[],
  options: LoadPluginsOptions = {},
): Promise<void> {
  const from = resolvePath(options.from ?? process.cwd());
  for (const packageName of packageNames) {
    const mod = (await importPlugin(packageName, from)) as Partial<PluginModule> & {
      default?: Partial<PluginModule>;
    };
    const register = mod.register ?? mod.default?.register;
    if (typeof register !== "function") {
      throw new PluginLoadError(packageName, "it does not export a register(container) function");
    }
    await register(container);
  }
}

/** A plugin as written in a config: its `name`, plus its options. */
export type PluginSpec = string | ({ readonly name: string } & PluginOptions);

/**
 * Builds a plugin from a config entry: either a bare name or `{ name, ...options }`.
 * `field` names the config path for error messages.
 */
export function createPlugin<K extends PluginKind>(
  container: DependencyContainer,
  kind: K,
  spec: PluginSpec,
  field: string = kind,
): PluginTypes[K] {
  const registry = getRegistry(container);
  if (
    spec == null ||
    (typeof spec !== "string" && (typeof spec !== "object" || typeof spec.name !== "string"))
  ) {
    throw new ConfigError(
      `${field}.name`,
      spec,
      `name a ${kind} plugin: one of ${registry.list(kind).join(", ")}`,
    );
  }
  const { name, ...options } = typeof spec === "string" ? { name: spec } : spec;
  if (!registry.has(kind, name)) throw new PluginNotFoundError(kind, name, registry.list(kind), field);
  return registry.create(kind, name, options, container);
}
