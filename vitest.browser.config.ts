import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// Tests that drive a real browser (Debian's chromium through playwright-core). Kept out of `npm test` so
// a machine with only Node passes it; `pnpm test:browser` runs them and CI installs chromium first.
export default defineConfig({
  resolve: { conditions: ["@rlts/source"] },
  ssr: { resolve: { conditions: ["@rlts/source"] } },
  test: {
    root,
    include: ["packages/*/test-browser/**/*.browser.test.ts"],
    setupFiles: [join(root, "scripts/vitest-setup.ts")],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
