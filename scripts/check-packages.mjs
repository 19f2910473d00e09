// `pnpm check:packages`: checks what every public package would publish, exactly as it would publish it.
//
// For each packages/* and examples/* package whose package.json is not `"private": true`, it builds the
// package (turbo, cached), packs it with `pnpm pack` (which applies `publishConfig` and rewrites
// `workspace:` ranges, like `pnpm publish`), then checks the tarball:
//   - publint (errors and warnings fail; suggestions are printed),
//   - @arethetypeswrong/cli with the `esm-only` profile (the packages ship ESM only: see CONTRIBUTING.md),
//   - the house rules: `types` first in every `exports` condition object, no `@rlts/source` condition
//     and no `workspace:` range in the published manifest, ESM (`"type": "module"`), `sideEffects`,
//     a licence and README, no test/config/build-cache files, and no import of a path outside the
//     package or of a package it does not declare as a dependency.
// It ends with one line `check:packages: N packages, N problems` and exits 1 naming each problem.
//
// Usage: node scripts/check-packages.mjs [--no-build] [package-name ...]

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const build = !args.includes("--no-build");
const only = args.filter((a) => !a.startsWith("--"));

/** Public workspace packages: packages/* and examples/* whose package.json is not private. */
export function publicPackages() {
  const found = [];
  for (const group of ["packages", "examples"]) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const dir of readdirSync(groupDir).sort()) {
      const manifestPath = join(groupDir, dir, "package.json");
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
      if (manifest.private === true) continue;
      found.push({ name: manifest.name, dir: join(groupDir, dir), manifest });
    }
  }
  return found;
}

function run(command, commandArgs, options = {}) {
  return spawnSync(command, commandArgs, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listFiles(full, base));
    else out.push(relative(base, full).split("\\").join("/"));
  }
  return out;
}

/** Every conditions object in an `exports` value, with its path for messages. */
function conditionObjects(value, path = "exports") {
  if (value == null || typeof value !== "object" || Array.isArray(value)) return [];
  const keys = Object.keys(value);
  const isSubpathMap = keys.some((k) => k.startsWith("."));
  const own = isSubpathMap ? [] : [{ path, conditions: value }];
  return [...own, ...keys.flatMap((k) => conditionObjects(value[k], `${path}[${JSON.stringify(k)}]`))];
}

const importPatterns = [
  // `from` after whitespace, `}` or `*` only: a string such as "--plugins-from" is not an import.
  /(?:^|[\s}*])from\s*["']([^"']+)["']/gm,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
];

function specifiers(source) {
  const found = new Set();
  for (const pattern of importPatterns) for (const m of source.matchAll(pattern)) found.add(m[1]);
  return [...found];
}

function packageNameOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const unwanted = [
  [/(^|\/)(test|tests|__tests__|bench|coverage|node_modules|\.turbo)\//, "a test, bench or build-cache file"],
  [/\.(test|spec|test-d|bench)\.[cm]?[jt]s$/, "a test file"],
  [/(^|\/)tsconfig[^/]*\.json$/, "a tsconfig (the published package is compiled)"],
  [/\.tsbuildinfo$/, "a TypeScript build cache"],
  [/\.log$/, "a log file"],
];

/** The problems of one packed package; an empty list means it is fine to publish. */
function checkPackage(pkg, work) {
  const problems = [];
  const packDir = join(work, pkg.name.replace(/[@/]/g, "_"));
  mkdirSync(packDir, { recursive: true });
  const pack = run("pnpm", ["pack", "--pack-destination", packDir, "--json"], { cwd: pkg.dir });
  if (pack.status !== 0) return [`pnpm pack failed: ${(pack.stderr || pack.stdout).trim()}`];
  const tarball = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("{"))).filename;
  const unpacked = join(packDir, "unpacked");
  mkdirSync(unpacked);
  const untar = run("tar", ["-xzf", tarball, "-C", unpacked]);
  if (untar.status !== 0) return [`cannot unpack ${tarball}: ${untar.stderr.trim()}`];
  const pkgRoot = join(unpacked, "package");
  const manifest = JSON.parse(readFileSync(join(pkgRoot, "package.json"), "utf8"));
  const files = listFiles(pkgRoot);
  const fileSet = new Set(files);

  // The manifest users install.
  if (manifest.type !== "module") problems.push('package.json: set "type": "module" (rlts packages are ESM)');
  if (manifest.sideEffects !== false) problems.push('package.json: set "sideEffects": false');
  if (!manifest.license) problems.push('package.json: add "license" (MIT, like the rest of rlts)');
  if (!manifest.description) problems.push('package.json: add a "description"');
  if (!manifest.exports) problems.push('package.json: add an "exports" map ("types" first, then "default")');
  if (manifest.main || manifest.module || manifest.typings)
    problems.push('package.json: drop "main"/"module"/"typings"; "exports" is the one entry point');
  const published = JSON.stringify(manifest.exports ?? {});
  if (published.includes("@rlts/source"))
    problems.push(
      'published exports still hold the "@rlts/source" condition: add "publishConfig.exports" without it',
    );
  for (const { path, conditions } of conditionObjects(manifest.exports)) {
    const keys = Object.keys(conditions);
    if (keys.includes("types") && keys[0] !== "types")
      problems.push(`${path}: "types" must be the first condition (it is "${keys[0]}")`);
    if (!keys.includes("types") && !keys.every((k) => typeof conditions[k] === "object"))
      problems.push(`${path}: add a "types" condition (first) pointing at the .d.ts`);
  }
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith("workspace:"))
        problems.push(`${field}.${dep} is still "${range}" after packing`);
    }
  }

  // The files users install.
  if (!files.some((f) => /^licen[cs]e(\.md|\.txt)?$/i.test(f)))
    problems.push("no LICENSE file in the package (copy packages/core/LICENSE and list it in files)");
  if (!fileSet.has("README.md")) problems.push("no README.md in the package");
  if (!files.some((f) => f.startsWith("dist/") && f.endsWith(".d.ts")))
    problems.push(
      "no dist/*.d.ts: build with declarations (tsconfig.build.json extends @rlts/tsconfig/build.json)",
    );
  for (const file of files) {
    const hit = unwanted.find(([pattern]) => pattern.test(file));
    if (hit) problems.push(`ships ${file} (${hit[1]}): limit "files" to dist, src, README.md, LICENSE`);
  }

  // Imports of the built code: relative ones stay inside the package, bare ones are declared.
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  for (const file of files.filter((f) => f.startsWith("dist/") && /\.(m?js|d\.m?ts)$/.test(f))) {
    const source = readFileSync(join(pkgRoot, file), "utf8");
    for (const spec of specifiers(source)) {
      if (spec.startsWith(".") || spec.startsWith("/")) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        if (spec.startsWith("/") || target.startsWith(".."))
          problems.push(`${file} imports "${spec}", outside the package`);
        else if (
          !fileSet.has(target) &&
          !fileSet.has(target.replace(/\.js$/, ".d.ts")) &&
          !fileSet.has(`${target}/index.js`)
        )
          problems.push(`${file} imports "${spec}", which the package does not ship`);
      } else if (!builtins.has(spec) && !builtins.has(packageNameOf(spec))) {
        const dep = packageNameOf(spec);
        if (!declared.has(dep))
          problems.push(
            `${file} imports "${spec}" but "${dep}" is not in dependencies or peerDependencies` +
              (dep.startsWith("@rlts/") ? " (a workspace-only package?)" : ""),
          );
      }
    }
  }

  // publint over the tarball (not the folder: the folder's manifest is the workspace one).
  const publint = run(
    process.execPath,
    [join(root, "node_modules/publint/src/cli.js"), "run", tarball, "--level", "suggestion"],
    {
      cwd: pkg.dir,
    },
  );
  const publintOut = `${publint.stdout}${publint.stderr}`.trim();
  if (publint.status !== 0 || /^\s*Warnings?:/m.test(publintOut) || /^\s*Errors?:/m.test(publintOut))
    problems.push(`publint:\n${indent(publintOut)}`);
  else if (/Suggestions?:/.test(publintOut)) console.log(`  publint suggestions:\n${indent(publintOut)}`);

  // Are the types wrong? ESM-only profile: see CONTRIBUTING.md ("Why attw runs with esm-only").
  const attw = run(
    process.execPath,
    [
      join(root, "node_modules/@arethetypeswrong/cli/dist/index.js"),
      tarball,
      "--profile",
      "esm-only",
      "--format",
      "table",
      "--no-color",
      "--no-emoji",
    ],
    { cwd: pkg.dir },
  );
  if (attw.status !== 0)
    problems.push(`@arethetypeswrong/cli:\n${indent(`${attw.stdout}${attw.stderr}`.trim())}`);

  return problems;
}

function indent(text) {
  return text
    .split("\n")
    .map((l) => `      ${l}`)
    .join("\n");
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const packages = publicPackages().filter((p) => only.length === 0 || only.includes(p.name));
  if (only.length && packages.length !== only.length) {
    const known = publicPackages().map((p) => p.name);
    console.error(`unknown package in ${only.join(", ")}; public packages: ${known.join(", ")}`);
    process.exit(2);
  }
  console.log(`checking ${packages.length} public packages: ${packages.map((p) => p.name).join(", ")}`);
  if (build && packages.length) {
    const filters = packages.flatMap((p) => ["--filter", p.name]);
    const turbo = run("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only", ...filters], {
      cwd: root,
      stdio: "inherit",
    });
    if (turbo.status !== 0) console.error("build failed; the checks below run on whatever dist/ exists");
  }
  const work = mkdtempSync(join(tmpdir(), "rlts-check-packages-"));
  let problemCount = 0;
  try {
    for (const pkg of packages) {
      const problems = checkPackage(pkg, work);
      problemCount += problems.length;
      if (problems.length === 0) console.log(`ok   ${pkg.name}`);
      else {
        console.log(`FAIL ${pkg.name} (${relative(root, pkg.dir)})`);
        for (const p of problems) console.log(`  - ${pkg.name}: ${p}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`check:packages: ${packages.length} packages, ${problemCount} problems`);
  process.exit(problemCount === 0 ? 0 : 1);
}
