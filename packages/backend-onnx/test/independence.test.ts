import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// backend-onnx runs without backend-tfjs: a rollout or serving process that only samples needs
// onnxruntime, not TensorFlow.js. backend-tfjs stays a dev dependency, for the parity tests.
// (`pnpm check:packages` checks the same of the built files: every import of dist/ is declared.)

const root = fileURLToPath(new URL("..", import.meta.url));
const forbidden = "@rlts/backend-tfjs";

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const runtimeDeps = (m: Manifest) =>
  Object.keys({ ...m.dependencies, ...m.peerDependencies, ...m.optionalDependencies });

/** Import specifiers of a source file: `from "x"`, `import "x"`, `import("x")`. */
function specifiers(source: string): string[] {
  const patterns = [
    /(?:^|[\s}*])from\s*["']([^"']+)["']/gm,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1]));
}

describe("run-time independence from @rlts/backend-tfjs", () => {
  it("is not among the dependencies or peers of this package or of the rlts packages it needs", () => {
    // Walk the run-time closure through each package's own node_modules links (the workspace layout).
    const seen = new Map<string, string[]>();
    const visit = (dir: string, path: string[]) => {
      const m = manifest(dir);
      if (seen.has(m.name)) return;
      seen.set(m.name, path);
      for (const dep of runtimeDeps(m)) {
        expect(dep, `${[...path, m.name].join(" → ")} depends on it`).not.toBe(forbidden);
        const next = join(dir, "node_modules", dep);
        if (dep.startsWith("@rlts/") && existsSync(join(next, "package.json")))
          visit(next, [...path, m.name]);
      }
    };
    visit(root, []);
    expect([...seen.keys()]).toContain("@rlts/lm");
    expect(manifest(root).devDependencies).toHaveProperty(forbidden);
  });

  it("is imported by no source file (types included)", () => {
    const files = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".ts"),
    );
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const imports = specifiers(readFileSync(join(root, "src", file), "utf8"));
      expect(
        imports.filter((s) => s === forbidden || s.startsWith(`${forbidden}/`)),
        `src/${file}`,
      ).toEqual([]);
    }
  });
});
