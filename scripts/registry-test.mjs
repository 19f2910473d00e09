// `pnpm test:registry`: publishes every public package to a throwaway local registry with the release
// flow (changesets), installs them by name in fresh projects outside the workspace, and runs them.
//
//  1. builds the public packages (turbo, cached);
//  2. copies the workspace manifests, built files and .changeset/ to a temporary folder and runs
//     `changeset version` there (the working tree is never modified), then `changeset publish`;
//  3. the registry is Verdaccio on 127.0.0.1 (a free port) with a temporary storage; our names
//     (@rlts/*, rlts-plugin-*) live only there, every other name is proxied to the npm registry this
//     machine is configured with (read from `npm config get registry` at run time);
//  4. in fresh folders outside the workspace: `npm install @rlts/advantages` alone and compute GAE
//     (@rlts/core alone while @rlts/advantages does not exist); install the example plugin
//     rlts-plugin-reinforce-pp and select it from a config through loadPlugins + createPlugin; follow
//     the plugin guide (its README) to write, test and publish a new plugin, then use it by name; and
//     install trainer + env + objectives + backend-tfjs and train CartPole for 3 iterations (steps
//     whose packages do not exist yet are reported as skipped);
//  5. stops the registry (its whole process group, also on failure and Ctrl-C) and removes the
//     temporary folders.
// Ends with the line `registry: N passed, N failed`.
//
// Usage: node scripts/registry-test.mjs [--no-build] [--keep]   (--keep leaves the temporary folder)

import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const build = !args.includes("--no-build");
const keep = args.includes("--keep");
const startedAt = Date.now();

const results = [];
/** Records one check; `detail` is printed under a failure. */
function check(name, ok, detail = "") {
  results.push({ name, ok });
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${!ok && detail ? `\n${indent(String(detail))}` : ""}`);
  return ok;
}
function skip(name, reason) {
  console.log(`skip ${name}: ${reason}`);
}
function indent(text) {
  return text
    .trim()
    .split("\n")
    .slice(-40)
    .map((l) => `     ${l}`)
    .join("\n");
}
function log(message) {
  console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${message}`);
}

// ---------------------------------------------------------------------------------------------------
// Cleanup: the registry runs in its own process group; kill the group on every way out.

let registryProcess;
let work;
let cleanedUp = false;

function isGroupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
function killGroup(signal) {
  try {
    process.kill(-registryProcess.pid, signal);
  } catch {}
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Stops the registry's whole process group and waits for it (so no zombie is left either). */
async function stopRegistry() {
  if (!registryProcess?.pid) return;
  const exited =
    registryProcess.exitCode !== null || registryProcess.signalCode !== null
      ? Promise.resolve()
      : new Promise((r) => registryProcess.once("exit", r));
  killGroup("SIGTERM");
  await Promise.race([exited, sleep(5000)]);
  if (isGroupAlive(registryProcess.pid)) {
    killGroup("SIGKILL");
    await Promise.race([exited, sleep(2000)]);
  }
}

/** Removes the temporary folder (unless --keep). */
function removeWork() {
  if (work && !keep) rmSync(work, { recursive: true, force: true });
  else if (work) console.log(`kept ${work}`);
}

async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of running) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
  await stopRegistry();
  removeWork();
}

// Last resort when the process exits some other way: synchronous, so only signals and rm.
process.on("exit", () => {
  if (cleanedUp) return;
  for (const child of running) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
  if (registryProcess?.pid) killGroup("SIGKILL");
  removeWork();
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    console.error(`\n${signal}: stopping the registry and removing temporary files`);
    await cleanup();
    console.log("registry: interrupted");
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/** The commands running now, killed with their process groups on Ctrl-C. */
const running = new Set();

/** Runs a command in its own process group; resolves with its status and output. Never rejects. */
function run(command, commandArgs, options = {}) {
  const { timeout = 300_000, ...spawnOptions } = options;
  return new Promise((resolveRun) => {
    const child = spawn(command, commandArgs, {
      ...spawnOptions,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      stderr += `\ntimed out after ${timeout / 1000}s`;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, timeout);
    const done = (status, error) => {
      clearTimeout(timer);
      running.delete(child);
      resolveRun({
        status,
        stdout,
        stderr,
        output_: `${stdout}${stderr}${error ? `\n${error.message}` : ""}`,
      });
    };
    child.on("error", (error) => done(null, error));
    child.on("close", (code) => done(code));
  });
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Every workspace package (packages/*, apps/*, examples/*) with its manifest. */
function workspacePackages(base) {
  const found = [];
  for (const group of ["packages", "apps", "examples"]) {
    const groupDir = join(base, group);
    if (!existsSync(groupDir)) continue;
    for (const dir of readdirSync(groupDir).sort()) {
      const manifestPath = join(groupDir, dir, "package.json");
      if (!existsSync(manifestPath)) continue;
      found.push({ rel: `${group}/${dir}`, dir: join(groupDir, dir), manifest: readJson(manifestPath) });
    }
  }
  return found;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForRegistry(url, child, logFile, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`Verdaccio exited with code ${child.exitCode}:\n${readFileSync(logFile, "utf8")}`);
    }
    try {
      const response = await fetch(`${url}/-/ping`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `Verdaccio did not answer on ${url} within ${timeoutMs / 1000}s:\n${readFileSync(logFile, "utf8")}`,
  );
}

/** Writes a consumer project outside the workspace, installs `packages` by name, runs `script`. */
async function consumerProject(name, npmrc, packages, script) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name, private: true, type: "module" }, null, 2)}\n`,
  );
  writeFileSync(join(dir, ".npmrc"), npmrc);
  writeFileSync(join(dir, "main.mjs"), script);
  log(`${name}: npm install ${packages.join(" ")}`);
  const install = await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=error", ...packages],
    { cwd: dir, env: { ...process.env, npm_config_userconfig: join(dir, ".npmrc") }, timeout: 600_000 },
  );
  if (
    !check(
      `${name}: npm install ${packages.join(" ")} from the local registry`,
      install.status === 0,
      install.output_,
    )
  )
    return undefined;
  return dir;
}

async function runConsumer(name, dir, description) {
  const result = await run(process.execPath, ["main.mjs"], { cwd: dir, timeout: 300_000 });
  check(`${name}: ${description}`, result.status === 0, result.output_);
  if (result.status === 0 && result.stdout.trim()) console.log(indent(result.stdout));
  return result.status === 0;
}

// ---------------------------------------------------------------------------------------------------

async function main() {
  const pkgs = workspacePackages(root);
  const publicPkgs = pkgs.filter((p) => p.manifest.private !== true && !p.rel.startsWith("apps/"));
  const names = new Set(publicPkgs.map((p) => p.manifest.name));
  log(`public packages: ${[...names].join(", ")}`);

  // pnpm must be callable by name: changesets runs `pnpm publish`.
  const pathDirs = [];
  if ((await run("pnpm", ["--version"])).status !== 0) {
    const shimDir = join(work, "bin");
    mkdirSync(shimDir, { recursive: true });
    writeFileSync(join(shimDir, "pnpm"), '#!/bin/sh\nexec npx -y pnpm@12.4.2 "$@"\n', { mode: 0o755 });
    pathDirs.push(shimDir);
  }
  const PATH = [...pathDirs, process.env.PATH].join(":");

  // 1. Build.
  if (build) {
    log("building the public packages");
    const filters = publicPkgs.flatMap((p) => ["--filter", p.manifest.name]);
    const turbo = await run(
      "pnpm",
      ["exec", "turbo", "run", "build", "--output-logs=errors-only", ...filters],
      {
        cwd: root,
        env: { ...process.env, PATH },
        timeout: 900_000,
      },
    );
    check("every public package builds", turbo.status === 0, turbo.output_);
  }

  // 2. A copy of the workspace with what publishing needs: manifests, built files, changesets.
  const repo = join(work, "repo");
  mkdirSync(repo);
  for (const file of ["package.json", "pnpm-workspace.yaml", "LICENSE"]) {
    if (existsSync(join(root, file))) cpSync(join(root, file), join(repo, file));
  }
  cpSync(join(root, ".changeset"), join(repo, ".changeset"), { recursive: true });
  for (const p of pkgs) {
    const target = join(repo, p.rel);
    if (names.has(p.manifest.name)) {
      cpSync(p.dir, target, {
        recursive: true,
        filter: (src) => !/(^|[/\\])(node_modules|\.turbo)$/.test(src),
      });
    } else {
      mkdirSync(target, { recursive: true });
      cpSync(join(p.dir, "package.json"), join(target, "package.json"));
    }
  }
  // pnpm resolves `workspace:` ranges through each package's node_modules: link the copies.
  const copies = workspacePackages(repo);
  const dirOf = new Map(copies.map((p) => [p.manifest.name, p.dir]));
  for (const p of copies) {
    for (const field of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
      for (const [dep, range] of Object.entries(p.manifest[field] ?? {})) {
        if (!String(range).startsWith("workspace:") || !dirOf.has(dep)) continue;
        const link = join(p.dir, "node_modules", dep);
        if (existsSync(link)) continue;
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(relative(dirname(link), dirOf.get(dep)), link, "dir");
      }
    }
  }

  const changesetBin = join(root, "node_modules/@changesets/cli/bin.js");
  const pending = readdirSync(join(repo, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md");
  log(`changeset version (${pending.length} pending changesets) in the temporary copy`);
  const version = await run(process.execPath, [changesetBin, "version"], {
    cwd: repo,
    env: { ...process.env, PATH },
  });
  check("changeset version applies the pending changesets", version.status === 0, version.output_);
  const versioned = workspacePackages(repo).filter((p) => names.has(p.manifest.name));
  const versions = Object.fromEntries(versioned.map((p) => [p.manifest.name, p.manifest.version]));
  log(`versions to publish: ${JSON.stringify(versions)}`);
  // changesets turns a minor release of a peer dependency into a major bump of its dependents (and the
  // fixed group spreads it); on 0.x that proposes 1.0.0 for a minor change. Say so, loudly.
  const bumps = pending.flatMap((f) =>
    [...readFileSync(join(root, ".changeset", f), "utf8").matchAll(/:\s*(major|minor|patch)\s*$/gm)].map(
      (m) => m[1],
    ),
  );
  const before = Object.fromEntries(publicPkgs.map((p) => [p.manifest.name, p.manifest.version]));
  const escalated = Object.entries(versions).filter(
    ([name, v]) => Number(v.split(".")[0]) > Number(String(before[name]).split(".")[0]),
  );
  if (escalated.length && !bumps.includes("major")) {
    console.log(
      `warning: no pending changeset asks for a major release, but changeset version proposes ${escalated
        .map(([n, v]) => `${n}@${v}`)
        .join(", ")} (peer-dependency escalation; see CONTRIBUTING.md, "Releasing")`,
    );
  }
  const scoped = versioned.filter((p) => p.manifest.name.startsWith("@rlts/"));
  const scopedVersions = new Set(scoped.map((p) => p.manifest.version));
  check(
    "the @rlts/* packages share one version (fixed group)",
    scopedVersions.size === 1,
    JSON.stringify(versions),
  );
  if (pending.length > 0) {
    const withChangelog = scoped.filter((p) => existsSync(join(p.dir, "CHANGELOG.md")));
    check(
      "every @rlts/* package gets a CHANGELOG.md",
      withChangelog.length === scoped.length,
      `missing: ${scoped
        .filter((p) => !existsSync(join(p.dir, "CHANGELOG.md")))
        .map((p) => p.manifest.name)
        .join(", ")}`,
    );
  }

  // 3. The registry.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const upstream = (await run("npm", ["config", "get", "registry"], { cwd: work })).stdout.trim();
  if (!/^https?:\/\//.test(upstream)) throw new Error(`npm config get registry gave "${upstream}"`);
  const registryDir = join(work, "registry");
  mkdirSync(join(registryDir, "storage"), { recursive: true });
  const ours = { access: "$all", publish: "$anonymous", unpublish: "$anonymous" };
  const config = [
    `storage: ${JSON.stringify(join(registryDir, "storage"))}`,
    "auth:",
    "  htpasswd:",
    `    file: ${JSON.stringify(join(registryDir, "htpasswd"))}`,
    "    max_users: -1",
    "uplinks:",
    "  upstream:",
    `    url: ${JSON.stringify(upstream)}`,
    "    timeout: 60s",
    "packages:",
    ...["@rlts/*", "rlts-plugin-*"].flatMap((pattern) => [
      `  ${JSON.stringify(pattern)}:`,
      ...Object.entries(ours).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`),
    ]),
    '  "**":',
    '    access: "$all"',
    "    proxy: upstream",
    "server:",
    "  keepAliveTimeout: 60",
    "publish:",
    "  allow_offline: true",
    "max_body_size: 500mb",
    "log: { type: stdout, format: pretty, level: warn }",
    "",
  ].join("\n");
  writeFileSync(join(registryDir, "config.yaml"), config);
  const logFile = join(registryDir, "verdaccio.log");
  const out = openSync(logFile, "a");
  log(`starting Verdaccio on ${url}`);
  registryProcess = spawn(
    process.execPath,
    [
      join(root, "node_modules/verdaccio/bin/verdaccio"),
      "--config",
      join(registryDir, "config.yaml"),
      "--listen",
      `127.0.0.1:${port}`,
    ],
    { detached: true, stdio: ["ignore", out, out], cwd: registryDir },
  );
  await waitForRegistry(url, registryProcess, logFile, 90_000);
  check("Verdaccio answers on loopback", true);

  // Our names go to the local registry; so does everything else, which it proxies (an unscoped
  // package name cannot be pointed at a registry of its own).
  const npmrc = [
    `registry=${url}/`,
    `@rlts:registry=${url}/`,
    `//127.0.0.1:${port}/:_authToken=throwaway`,
    "audit=false",
    "fund=false",
    // onnxruntime-node (under @rlts/backend-onnx, which the trainer uses) bundles its CPU binaries; its
    // install script only fetches CUDA extras from the network. The packages' READMEs tell users the same.
    "onnxruntime-node-install=skip",
    "",
  ].join("\n");
  const userconfig = join(work, "publish.npmrc");
  writeFileSync(userconfig, npmrc);
  const publishEnv = {
    ...process.env,
    PATH,
    npm_config_userconfig: userconfig,
    npm_config_registry: `${url}/`,
    "npm_config_@rlts:registry": `${url}/`,
  };
  // Never let a publish reach a real registry: pnpm must see the local one for both kinds of name.
  const seen = [];
  for (const key of ["registry", "@rlts:registry"]) {
    seen.push((await run("pnpm", ["config", "get", key], { cwd: repo, env: publishEnv })).stdout.trim());
  }
  if (!seen.every((s) => s.replace(/\/$/, "") === url)) {
    throw new Error(`refusing to publish: pnpm resolves the registry to ${seen.join(" and ")}, not ${url}`);
  }

  // 4. Publish with the release flow.
  log("changeset publish");
  const publish = await run(process.execPath, [changesetBin, "publish", "--no-git-tag"], {
    cwd: repo,
    env: publishEnv,
    timeout: 600_000,
  });
  check("changeset publish publishes every public package", publish.status === 0, publish.output_);
  for (const p of versioned) {
    const name = p.manifest.name;
    let manifest;
    try {
      const response = await fetch(`${url}/${name.replace("/", "%2f")}`);
      manifest = response.ok ? (await response.json()).versions?.[p.manifest.version] : undefined;
    } catch {}
    const problems = [];
    if (!manifest) problems.push(`${name}@${p.manifest.version} is not in the registry`);
    else {
      const text = JSON.stringify(manifest);
      if (text.includes("workspace:")) problems.push("a workspace: range was published");
      if (JSON.stringify(manifest.exports ?? {}).includes("@rlts/source"))
        problems.push('the "@rlts/source" condition was published');
    }
    check(
      `${name}@${p.manifest.version} is published with a clean manifest`,
      problems.length === 0,
      problems.join("; "),
    );
  }

  // 5. Consumers, each in a fresh folder outside the workspace.
  const hasAdvantages = names.has("@rlts/advantages");
  if (hasAdvantages) {
    const dir = await consumerProject("use-advantages", npmrc, ["@rlts/advantages"], advantagesScript());
    if (dir)
      await runConsumer(
        "use-advantages",
        dir,
        "GAE from the installed @rlts/advantages matches hand-worked numbers",
      );
  } else {
    skip("@rlts/advantages alone", "packages/advantages does not exist yet; using @rlts/core alone instead");
    const dir = await consumerProject("use-core", npmrc, ["@rlts/core"], coreScript());
    if (dir)
      await runConsumer("use-core", dir, "the installed @rlts/core runs (registry, errors, seeded RNG)");
  }

  if (names.has("rlts-plugin-reinforce-pp")) {
    const dir = await consumerProject(
      "use-plugin",
      npmrc,
      ["rlts-plugin-reinforce-pp", "@rlts/core", "tsyringe", "reflect-metadata"],
      pluginScript(),
    );
    if (dir)
      await runConsumer(
        "use-plugin",
        dir,
        "reinforce++ is loaded by package name and selected from a config",
      );
  } else {
    skip("third-party plugin", "examples/plugin-reinforce-pp does not exist");
  }

  if (names.has("@rlts/testing")) await followPluginGuide(npmrc, url, versions["@rlts/core"]);

  const trainerSet = ["@rlts/trainer", "@rlts/env", "@rlts/objectives", "@rlts/backend-tfjs"];
  const missing = trainerSet.filter((n) => !names.has(n));
  if (missing.length) {
    skip("CartPole training from the registry", `${missing.join(", ")} not in the workspace yet`);
  } else {
    const dir = await consumerProject(
      "use-trainer",
      npmrc,
      [...trainerSet, "tsyringe", "reflect-metadata"],
      trainerScript(),
    );
    if (dir)
      await runConsumer(
        "use-trainer",
        dir,
        "CartPole trains for 3 PPO iterations from the installed packages",
      );
  }
}

/**
 * Follows the plugin guide (examples/plugin-reinforce-pp/README.md) as a user would: writes the files
 * its code blocks name (```ts title="src/index.ts"), installs, builds, runs its tests, checks and
 * publishes the package, then installs it by name and selects it from a config.
 */
async function followPluginGuide(npmrc, url, coreVersion) {
  const guide = join(root, "examples/plugin-reinforce-pp/README.md");
  const files = {};
  for (const m of readFileSync(guide, "utf8").matchAll(/```\w+ title="([^"]+)"\n([\s\S]*?)```/g))
    files[m[1]] = m[2];
  const wanted = [
    "package.json",
    "tsconfig.json",
    "src/my-estimator.ts",
    "src/index.ts",
    "test/my-estimator.test.ts",
  ];
  const absent = wanted.filter((f) => !(f in files));
  if (
    !check("the plugin guide shows every file of a plugin package", absent.length === 0, `missing: ${absent}`)
  )
    return;
  const dir = join(work, "guide-plugin");
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  // The guide says: use the range of the @rlts/core you build against.
  const manifest = JSON.parse(files["package.json"]);
  for (const field of ["peerDependencies", "devDependencies"]) {
    for (const dep of ["@rlts/core", "@rlts/testing"]) {
      if (manifest[field]?.[dep]) manifest[field][dep] = `^${coreVersion}`;
    }
  }
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(dir, "README.md"),
    "# rlts-plugin-my-estimator\n\nWritten by following the plugin guide.\n",
  );
  writeFileSync(join(dir, ".npmrc"), npmrc);
  const env = { ...process.env, npm_config_userconfig: join(dir, ".npmrc") };
  const npm = (npmArgs, timeout = 600_000) => run("npm", npmArgs, { cwd: dir, env, timeout });
  log("plugin guide: npm install, build, test, publish");
  const steps = [
    ["npm install", () => npm(["install", "--no-audit", "--no-fund", "--loglevel=error"])],
    ["npm run build", () => npm(["run", "build"])],
    [
      "its tests pass (describeEstimator from the published @rlts/testing)",
      () => run(join(dir, "node_modules/.bin/vitest"), ["run"], { cwd: dir, env, timeout: 300_000 }),
    ],
    [
      "publint passes",
      () =>
        run(process.execPath, [join(root, "node_modules/publint/src/cli.js"), "run", dir, "--strict"], {
          cwd: dir,
        }),
    ],
    [
      "attw (esm-only) passes",
      () =>
        run(
          process.execPath,
          [
            join(root, "node_modules/@arethetypeswrong/cli/dist/index.js"),
            "--pack",
            dir,
            "--profile",
            "esm-only",
            "--no-color",
          ],
          { cwd: dir },
        ),
    ],
    ["npm publish", () => npm(["publish", `--registry=${url}/`])],
  ];
  for (const [what, step] of steps) {
    const result = await step();
    if (!check(`plugin guide: ${what}`, result.status === 0, result.output_)) return;
  }
  const consumer = await consumerProject(
    "use-guide-plugin",
    npmrc,
    ["rlts-plugin-my-estimator", "@rlts/core", "tsyringe", "reflect-metadata"],
    `import "reflect-metadata";
import { createContainer, createPlugin, loadPlugins } from "@rlts/core";

const config = { plugins: ["rlts-plugin-my-estimator"], advantage: { name: "my-estimator", scale: 2 } };
const container = createContainer();
await loadPlugins(container, config.plugins);
const estimator = createPlugin(container, "advantage", config.advantage);
// mean of 1, 2, 3, 6 is 3, so A = 2·(r − 3) = −4, −2, 0, 6.
const { advantages } = estimator.estimate({
  numSteps: 1, numEnvs: 4, rewards: Float64Array.from([1, 2, 3, 6]),
  terminated: new Uint8Array(4).fill(1), truncated: new Uint8Array(4),
});
if ([...advantages].join() !== "-4,-2,0,6") throw new Error("got " + [...advantages]);
console.log("my-estimator advantages " + [...advantages].join(" "));
await container.dispose();
`,
  );
  if (consumer)
    await runConsumer(
      "use-guide-plugin",
      consumer,
      "the guide's plugin is installed by name and selected from a config",
    );
}

// ---------------------------------------------------------------------------------------------------
// The consumer programs. They import by package name only, as a user would.

function advantagesScript() {
  return `import "reflect-metadata";
import { createContainer, createPlugin } from "@rlts/core";
import { register } from "@rlts/advantages";

const resolved = import.meta.resolve("@rlts/advantages");
if (!resolved.includes("/node_modules/@rlts/advantages/dist/")) throw new Error("resolved to " + resolved);
const container = createContainer();
register(container);
const gae = createPlugin(container, "advantage", { name: "gae", gamma: 0.5, lambda: 1 });
// One env, three steps, rewards 1, V = 0.5 everywhere, episode terminated at the last step.
// delta_2 = 1 - 0.5 = 0.5                 A_2 = 0.5
// delta_1 = 1 + 0.5*0.5 - 0.5 = 0.75      A_1 = 0.75 + 0.5*0.5 = 1
// delta_0 = 0.75                          A_0 = 0.75 + 0.5*1   = 1.25
const { advantages, returns } = gae.estimate({
  numSteps: 3,
  numEnvs: 1,
  rewards: Float64Array.from([1, 1, 1]),
  terminated: Uint8Array.from([0, 0, 1]),
  truncated: new Uint8Array(3),
  values: Float64Array.from([0.5, 0.5, 0.5]),
  truncationValues: new Float64Array(3),
  lastValues: Float64Array.from([0.5]),
});
const expect = (got, want, what) => {
  if (got.length !== want.length || got.some((g, i) => Math.abs(g - want[i]) > 1e-12))
    throw new Error(what + ": got " + [...got] + ", want " + want);
};
expect(advantages, [1.25, 1, 0.5], "advantages");
expect(returns, [1.75, 1.5, 1], "returns");
console.log("advantages " + [...advantages].join(" ") + "; returns " + [...returns].join(" "));
await container.dispose();
`;
}

function coreScript() {
  return `import "reflect-metadata";
import { ConfigError, createContainer, createRng, getRegistry, PluginNotFoundError, createPlugin } from "@rlts/core";

const resolved = import.meta.resolve("@rlts/core");
if (!resolved.includes("/node_modules/@rlts/core/dist/")) throw new Error("resolved to " + resolved);
const a = createRng(42), b = createRng(42);
const xs = [a.next(), a.next(), a.next()], ys = [b.next(), b.next(), b.next()];
if (xs.some((x, i) => x !== ys[i] || !(x >= 0 && x < 1))) throw new Error("createRng is not deterministic: " + xs + " / " + ys);
const container = createContainer();
getRegistry(container).register("advantage", "zero", () => ({
  name: "zero", requires: [], estimate: (batch) => ({ advantages: new Float64Array(batch.rewards.length) }),
}));
const zero = createPlugin(container, "advantage", "zero");
if (zero.estimate({ numSteps: 1, numEnvs: 2, rewards: Float64Array.from([1, 2]), terminated: new Uint8Array(2), truncated: new Uint8Array(2) }).advantages.length !== 2)
  throw new Error("estimate gave the wrong length");
let error;
try { createPlugin(container, "advantage", "nope"); } catch (e) { error = e; }
if (!(error instanceof PluginNotFoundError) || !/zero/.test(error.message)) throw new Error("unknown name did not list the known ones: " + error);
if (!(new ConfigError("advantage.x", 1, "fix") instanceof Error)) throw new Error("ConfigError is not an Error");
console.log("rng " + xs.map((x) => x.toFixed(6)).join(" ") + "; registry lists " + getRegistry(container).list("advantage"));
await container.dispose();
`;
}

function pluginScript() {
  return `import "reflect-metadata";
import { createContainer, createPlugin, getRegistry, loadPlugins } from "@rlts/core";

// What a user's config says, after parsing.
const config = { plugins: ["rlts-plugin-reinforce-pp"], advantage: { name: "reinforce++" } };
const container = createContainer();
await loadPlugins(container, config.plugins);
const estimator = createPlugin(container, "advantage", config.advantage);
// Prompt 0: rewards 1, 0, 0, 1 (mean 0.5) -> 0.5, -0.5, -0.5, 0.5; prompt 1: 1, 1 (mean 1) -> 0, 0.
// Whole batch: mean 0, population variance 4 * 0.25 / 6 = 1/6, so A = (A - 0) * sqrt(6).
const { advantages } = estimator.estimate({
  numSteps: 1,
  numEnvs: 6,
  rewards: Float64Array.from([1, 0, 0, 1, 1, 1]),
  terminated: new Uint8Array(6).fill(1),
  truncated: new Uint8Array(6),
  groupIds: Int32Array.from([0, 0, 0, 0, 1, 1]),
});
const s = Math.sqrt(6);
const want = [0.5 * s, -0.5 * s, -0.5 * s, 0.5 * s, 0, 0];
if (advantages.some((a, i) => Math.abs(a - want[i]) > 1e-9)) throw new Error("got " + [...advantages] + ", want " + want);
console.log("registered: " + getRegistry(container).list("advantage") + "; advantages " + [...advantages].map((a) => a.toFixed(4)).join(" "));
await container.dispose();
`;
}

function trainerScript() {
  return `import "reflect-metadata";
import { MemoryMetricsSink, OnPolicyTrainer } from "@rlts/trainer";

for (const name of ["@rlts/trainer", "@rlts/env", "@rlts/objectives", "@rlts/backend-tfjs"]) {
  const resolved = import.meta.resolve(name);
  if (!resolved.includes("/node_modules/" + name + "/dist/")) throw new Error(name + " resolved to " + resolved);
}
const numEnvs = 4, numSteps = 64, iterations = 3;
const sink = new MemoryMetricsSink();
const trainer = await OnPolicyTrainer.create(
  {
    env: "CartPole-v1",
    numEnvs,
    numSteps,
    totalSteps: numEnvs * numSteps * iterations,
    advantage: { name: "gae", gamma: 0.99, lambda: 0.95 },
    objective: { name: "ppo" },
    epochs: 2,
    minibatches: 2,
    evalEpisodes: 2,
    seed: 1,
  },
  { sink },
);
const result = await trainer.train();
trainer.dispose();
if (result.updates !== iterations) throw new Error("expected " + iterations + " updates, got " + result.updates);
if (result.envSteps !== numEnvs * numSteps * iterations) throw new Error("env steps: " + result.envSteps);
// CartPole pays +1 per step: any greedy episode returns at least 1.
if (!(Number.isFinite(result.evalReturn) && result.evalReturn >= 1)) throw new Error("eval return " + result.evalReturn);
if (sink.rows.length < iterations) throw new Error("metrics rows: " + sink.rows.length);
for (const row of sink.rows)
  for (const [k, v] of Object.entries(row.metrics)) if (!Number.isFinite(v)) throw new Error("metric " + k + " = " + v);
console.log("updates " + result.updates + ", env steps " + result.envSteps + ", greedy eval return " + result.evalReturn.toFixed(1) + ", " + result.wallSeconds.toFixed(1) + "s");
`;
}

// ---------------------------------------------------------------------------------------------------

work = mkdtempSync(join(tmpdir(), "rlts-registry-"));
let exitCode = 0;
try {
  await main();
} catch (error) {
  check("registry test ran to the end", false, error?.stack ?? String(error));
} finally {
  await cleanup();
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (failed > 0 || results.length === 0) exitCode = 1;
  log(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)}s`);
  console.log(`registry: ${passed} passed, ${failed} failed`);
}
process.exit(exitCode);
