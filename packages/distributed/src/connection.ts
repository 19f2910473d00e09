import { ConfigError } from "@rlts/core";
import { Redis } from "ioredis";

/** Checks a `redis://` / `rediss://` URL; `field` names the config field in the error. */
export function checkRedisUrl(url: string, field = "distributed.redis"): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")) {
    throw new ConfigError(field, url, "use a Redis URL such as redis://127.0.0.1:6379 (rediss:// for TLS)");
  }
}

/**
 * A Redis connection that waits out outages: commands queue while it reconnects (BullMQ needs
 * `maxRetriesPerRequest: null`), with a back-off capped at 2 s. `onState` hears "down" once per outage
 * and "up" when it is back.
 */
export function connectRedis(url: string, onState?: (state: "down" | "up", detail: string) => void): Redis {
  checkRedisUrl(url);
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) {
      down = true;
      onState?.("down", error.message);
    }
  });
  redis.on("ready", () => {
    if (down) {
      down = false;
      onState?.("up", url);
    }
  });
  return redis;
}
