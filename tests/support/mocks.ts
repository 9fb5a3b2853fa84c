/**
 * Runs the br-criu program for a stack under Pulumi's mock runtime, with the
 * stack file loaded as Pulumi loads it (project defaults from Pulumi.yaml
 * applied by our loader), and records every resource registered.
 */
// Pulumi's mock interface hands resources' inputs and state over as any
// (MockResourceArgs.inputs); the recorder keeps that type for the tests.
/* eslint-disable @typescript-eslint/no-explicit-any */
import * as pulumi from "@pulumi/pulumi";
import { PULUMI_NAMESPACE } from "@br-criu/model";
import { loadProject, loadStack } from "@br-criu/stacks";
import { defineStack, type StackOutputs } from "../../components/program";
import { REPO_ROOT } from "./project";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
}

/** What a command "prints" under mocks, by resource name suffix. */
export type FakeStdout = (name: string) => string;

class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  constructor(private readonly stdout: FakeStdout) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
    this.resources.push({ type: args.type, name: args.name, inputs: args.inputs });
    // What a command printed, for command.local.Command and br-criu's provider alike (its checkout calls it verified).
    const printed = this.stdout(args.name);
    return { id: `${args.name}-id`, state: { ...args.inputs, stdout: printed, verified: printed.trim() } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    return args.inputs;
  }
}

/** Pulumi's config map for a stack: `br-criu:key` -> string (JSON for non-strings). */
export function pulumiConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  const loaded = loadStack(loadProject(REPO_ROOT), stack);
  const merged = { ...loaded.config, ...overrides };
  return Object.fromEntries(
    Object.entries(merged)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [`${PULUMI_NAMESPACE}:${key}`, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

const resolved = <T>(output: pulumi.Input<T> | undefined): Promise<T | undefined> =>
  output === undefined
    ? Promise.resolve(undefined)
    : new Promise((done) => pulumi.output(output).apply((value) => done(value as T)));

export interface ProgramRun {
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
  /** What the program logged, as "<severity> <resource name>: <message>". */
  readonly logs: readonly string[];
}

/** Captures pulumi.log while `body` runs (under mocks the log has no engine to go to). */
async function capturingLogs<T>(body: () => Promise<T>): Promise<{ value: T; logs: string[] }> {
  const logs: string[] = [];
  const log = pulumi.log as unknown as Record<string, unknown>;
  const saved = { info: log["info"], warn: log["warn"], error: log["error"] };
  for (const severity of ["info", "warn", "error"] as const) {
    log[severity] = (message: string, resource?: pulumi.Resource) => {
      const named = resource ? (resource as unknown as { __name?: string }).__name : undefined;
      logs.push(`${severity} ${named ?? "stack"}: ${message}`);
      return Promise.resolve();
    };
  }
  try {
    return { value: await body(), logs };
  } finally {
    Object.assign(log, saved);
  }
}

const defaultStdout: FakeStdout = (name) =>
  name.endsWith("-image")
    ? `>>> host-fakedate  Building\n${"a".repeat(64)}  bzImage\n${"b".repeat(64)}  rootfs.ext2\n${"c".repeat(64)}  start-qemu.sh\n`
    : name.endsWith("-double-build")
      ? "identical\n"
      : name.endsWith("-boot-test")
        ? JSON.stringify({
            stack: name,
            passed: true,
            criuCheck: true,
            dumpRestore: true,
            firstFailure: null,
            consoleLog: "/tmp/c.log",
            steps: [
              { step: "criu-check", ok: true, ms: 800, detail: "" },
              { step: "restore", ok: true, ms: 600, detail: "" },
            ],
            timings: { bootToResultSeconds: 12.5 },
          })
        : name.endsWith("-buildroot")
          ? "buildroot 2026.02.3 679b9ead7620bbf193620d1ebf56f53c1764d37a\n"
          : "";

/** Runs the program for `stack` and waits until every output (and so every resource) is resolved. */
export async function runProgram(
  stack: string,
  config: Record<string, string>,
  options: { stdout?: FakeStdout; preview?: boolean } = {},
): Promise<ProgramRun> {
  const stdout = options.stdout ?? defaultStdout;
  const mocks = new RecordingMocks(stdout);
  await pulumi.runtime.setMocks(mocks, "br-criu", stack, options.preview ?? false);
  pulumi.runtime.setAllConfig(config);
  const { value: outputs, logs } = await capturingLogs(async () => {
    const program: StackOutputs = defineStack(stack);
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) values[key] = await resolved(value as pulumi.Input<unknown>);
    // Let registrations that no output waits for finish.
    for (let settled = -1; settled !== mocks.resources.length;) {
      settled = mocks.resources.length;
      await new Promise((done) => setTimeout(done, 10));
    }
    return values;
  });
  return { resources: mocks.resources, outputs, logs };
}
