import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// Every package README opens with an example a user can paste and run. This runs each one as that
// user would: in a folder of its own whose node_modules holds the workspace packages (their built
// dist, as published) and the third-party packages the example imports, nothing else.

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const groups = ["packages", "examples"];
const packageDirs = groups.flatMap((g) =>
  readdirSync(join(root, g))
    .map((d) => join(root, g, d))
    .filter((d) => existsSync(join(d, "package.json"))),
);

/** The first fenced block of a README: its language tag and its lines. */
function firstBlock(readme: string): { lang: string; code: string } | undefined {
  const m = /^```(\w*)\n([\s\S]*?)^```/m.exec(readme);
  return m ? { lang: m[1] ?? "", code: m[2] ?? "" } : undefined;
}

const project = mkdtempSync(join(tmpdir(), "rlts-readme-"));
const modules = join(project, "node_modules");
mkdirSync(join(modules, "@rlts"), { recursive: true });
writeFileSync(join(project, "package.json"), '{ "type": "module", "private": true }\n');
for (const dir of packageDirs) {
  const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string };
  mkdirSync(dirname(join(modules, name)), { recursive: true });
  symlinkSync(dir, join(modules, name), "dir");
}
/** Links a third-party package the example imports, from the first workspace package that has it. */
function linkThirdParty(name: string): void {
  const target = join(modules, name);
  if (existsSync(target)) return;
  const from = [root, ...packageDirs].map((d) => join(d, "node_modules", name)).find((p) => existsSync(p));
  if (!from) throw new Error(`no workspace package has ${name} installed; add it to a devDependency`);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(realpathSync(from), target, "dir");
}
afterAll(() => rmSync(project, { recursive: true, force: true }));

const readmes = packageDirs
  .filter((d) => existsSync(join(d, "README.md")) && !d.endsWith("tsconfig"))
  .map((d) => ({ name: d.slice(root.length + 1), dir: d }));

describe("README examples", () => {
  it("every package has a README", () => {
    expect(readmes.length).toBe(packageDirs.filter((d) => !d.endsWith("tsconfig")).length);
  });

  it.each(readmes)(
    "$name opens with a TypeScript example that runs",
    ({ name, dir }) => {
      const block = firstBlock(readFileSync(join(dir, "README.md"), "utf8"));
      expect(block?.lang, `${name}/README.md's first code block`).toBe("ts");
      const code = block?.code ?? "";
      for (const [, spec] of code.matchAll(/^import [^"]*"([^"]+)"/gm)) {
        if (!spec || spec.startsWith("node:") || spec.startsWith(".")) continue;
        const parts = spec.split("/");
        const pkg = spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec);
        if (!existsSync(join(modules, pkg))) linkThirdParty(pkg);
      }
      // An example of a test helper is a test file: it runs under vitest, as its README says.
      const isTest = /from "vitest"|describe\w+\(/.test(code) && code.includes("@rlts/testing");
      const file = join(project, `${name.replace(/\W/g, "-")}.${isTest ? "test." : ""}ts`);
      writeFileSync(file, code);
      const bin = (tool: string) => join(root, "node_modules", ".bin", tool);
      const run = isTest
        ? spawnSync(bin("vitest"), ["run", "--root", project, "--config", writeConfig(), file], {
            encoding: "utf8",
            timeout: 170_000,
          })
        : spawnSync(bin("tsx"), [file], { cwd: project, encoding: "utf8", timeout: 170_000 });
      expect(run.status, `${name}/README.md's example failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
      if (isTest) expect(run.stdout).toMatch(/passed/);
    },
    180_000,
  );
});

function writeConfig(): string {
  const config = join(project, "vitest.config.mjs");
  writeFileSync(config, "export default { test: { include: ['*.test.ts'] } };\n");
  return config;
}
