import type { DependencyContainer, InjectionToken } from "tsyringe";

declare const tokenType: unique symbol;

/**
 * A typed injection key: a `Symbol.for` symbol that carries the type `T` it resolves to.
 * Two packages that create a token with the same key get the same symbol, so a token survives
 * being bundled twice; the type parameter makes `bind` reject a class that does not implement `T`.
 */
export type Token<T> = symbol & { readonly [tokenType]?: T };

/** The type a {@link Token} resolves to. */
export type TokenType<K> = K extends Token<infer T> ? T : never;

/** Creates the typed token for `key`. Keys are namespaced by package: `"@rlts/core/AdvantageEstimator"`. */
export function token<T>(key: string): Token<T> {
  return Symbol.for(key) as Token<T>;
}

/** A class whose instances are `T` (constructor parameters are resolved by tsyringe via `@inject`). */
// biome-ignore lint/suspicious/noExplicitAny: constructor parameters are resolved by the container.
export type Constructor<T> = new (...args: any[]) => T;

/**
 * Registers `implementation` for `key` in `container`, as a singleton of that container by default so
 * that `container.dispose()` disposes it. Fails to compile when the class does not implement `T`.
 */
export function bind<T>(
  container: DependencyContainer,
  key: Token<T>,
  implementation: Constructor<T>,
  options: { singleton?: boolean } = {},
): void {
  if (options.singleton ?? true) container.registerSingleton<T>(key as InjectionToken<T>, implementation);
  else container.register<T>(key as InjectionToken<T>, { useClass: implementation });
}

/** Registers an existing value for `key`. The container does not dispose values it did not build. */
export function bindValue<T>(container: DependencyContainer, key: Token<T>, value: T): void {
  container.registerInstance<T>(key as InjectionToken<T>, value);
}

/** Registers a factory called on each resolution of `key`. */
export function bindFactory<T>(
  container: DependencyContainer,
  key: Token<T>,
  factory: (container: DependencyContainer) => T,
): void {
  container.register<T>(key as InjectionToken<T>, { useFactory: factory });
}

/** Resolves `key` with its type. */
export function resolve<T>(container: DependencyContainer, key: Token<T>): T {
  return container.resolve<T>(key as InjectionToken<T>);
}

/** Whether `key` is registered in `container` or one of its ancestors. */
export function isBound<T>(container: DependencyContainer, key: Token<T>): boolean {
  return container.isRegistered(key as InjectionToken<T>, true);
}
