#!/usr/bin/env node
// The `rlts` command. tsyringe needs the Reflect metadata polyfill before any plugin is evaluated.
import "reflect-metadata";
import { runCli } from "./run-cli.js";

process.exitCode = await runCli(process.argv.slice(2));
