import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { startRedisServer } from "../src/index.js";

describe("startRedisServer", () => {
  it("names the install command when the binary is missing", async () => {
    await expect(startRedisServer({ binary: "/nonexistent/redis-server" })).rejects.toThrow(
      /apt-get install redis-server/,
    );
  });

  it("starts a loopback server, and with appendonly a killed server restarts with its data", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rlts-redis-test-"));
    const first = await startRedisServer({ appendonly: true, dir });
    const a = new Redis(first.url, { lazyConnect: true });
    await a.connect();
    expect(await a.ping()).toBe("PONG");
    await a.set("k", "v");
    a.disconnect();
    await first.kill();
    const second = await startRedisServer({ appendonly: true, dir, port: first.port });
    const b = new Redis(second.url, { lazyConnect: true });
    await b.connect();
    expect(await b.get("k")).toBe("v");
    b.disconnect();
    await second.stop();
    await rm(dir, { recursive: true, force: true });
  });
});
