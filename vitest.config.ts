import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// One vitest project per workspace package that has a test/ folder.
const projects = ["packages", "apps", "examples"].flatMap((group) =>
  existsSync(join(root, group))
    ? readdirSync(join(root, group))
        .filter((dir) => existsSync(join(root, group, dir, "test")))
        .map((dir) => ({
          extends: true as const,
          test: {
            name: `${group}/${dir}`,
            root: join(root, group, dir),
            include: ["test/**/*.test.ts"],
            typecheck: {
              include: ["test/**/*.test-d.ts"],
              tsconfig: join(root, group, dir, "tsconfig.json"),
            },
          },
        }))
    : [],
);

export default defineConfig({
  resolve: { conditions: ["@rlts/source"] },
  ssr: { resolve: { conditions: ["@rlts/source"] } },
  test: {
    setupFiles: [join(root, "scripts/vitest-setup.ts")],
    typecheck: { enabled: true },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects,
  },
});
