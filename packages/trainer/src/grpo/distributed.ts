import { ConfigError } from "@rlts/core";
import type * as Distributed from "@rlts/distributed";

/** The `@rlts/distributed` module, loaded only when a config names a Redis URL (an optional peer). */
export type DistributedModule = typeof Distributed;

/**
 * Imports `@rlts/distributed`, or explains how to install it. It is an optional peer dependency, so
 * that in-process runs need neither it nor BullMQ and Redis clients.
 */
export async function loadDistributed(
  field = "distributed.redis",
  specifier = "@rlts/distributed",
): Promise<DistributedModule> {
  try {
    return (await import(specifier)) as DistributedModule;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (
      (e.code === "ERR_MODULE_NOT_FOUND" || e.code === "MODULE_NOT_FOUND") &&
      e.message?.includes(specifier)
    ) {
      throw new ConfigError(
        field,
        "set",
        "distributed runs need the @rlts/distributed package next to @rlts/trainer: npm install @rlts/distributed (or pnpm add @rlts/distributed), or remove the distributed: block to train in-process",
      );
    }
    throw error;
  }
}
