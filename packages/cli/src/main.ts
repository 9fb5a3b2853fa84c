#!/usr/bin/env node
import { run } from "./cli";

// --debug (anywhere) prints the stack trace of an internal error; without it, one line.
const debug = process.argv.includes("--debug");
run(
  process.argv.slice(2).filter((arg) => arg !== "--debug"),
  {
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const detail = error instanceof Error ? (debug ? error.stack : error.message) : String(error);
    process.stderr.write(
      `br-criu: internal error: ${detail}${debug ? "" : " (run with --debug for the stack trace)"}\n`,
    );
    process.exitCode = 70;
  },
);
