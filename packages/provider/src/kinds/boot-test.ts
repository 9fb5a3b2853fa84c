/**
 * The boot test: the built image under QEMU in acceptance mode. A failed
 * test fails the update with its outputs kept (criuCheck, dumpRestore and
 * the console log), and the next `pulumi up` runs it again.
 */
import { randomUUID } from "node:crypto";
import { describeBootTestFailure, parseBootTestJson } from "@br-criu/planner";
import type { BootTestInputs } from "../types";
import { check } from "./checks";
import { runCreate } from "./commands";
import { diffByRules, keepOutputs, withOutputs, type Properties, type ResourceKind } from "./kind";

const OUTPUTS = ["stdout", "passed"] as const;

const asBootTest = (props: Properties) => props as unknown as BootTestInputs;

/** What @pulumi/pulumi's provider server turns into an update failure that keeps the resource's outputs. */
class ResourceInitError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Properties,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

export const bootTestKind: ResourceKind = {
  check: (news) =>
    check(news, (c) => {
      c.pattern("stack", /^[A-Za-z0-9_.-]{1,100}$/, "the stack name");
      c.absolutePath("imagesDir");
      c.commands("run");
    }),

  diff: (olds, oldInputs, news) =>
    diffByRules(olds, oldInputs, news, {
      replaceOn: ["image", "imagesDir", "run"],
      // A failed test runs again.
      replaceIf: (state) => (state["passed"] === false ? ["passed"] : []),
    }),

  async create(inputs, context) {
    const test = asBootTest(inputs);
    const what = `${test.stack} boot test`;
    const { stdout } = await runCreate(
      { dir: test.run.dir, commands: test.run.commands, what, streamProgress: false },
      context,
    );
    const report = parseBootTestJson(stdout);
    const id = randomUUID();
    const outs = withOutputs(inputs, { stdout, passed: report.passed });
    if (!report.passed) {
      const message = describeBootTestFailure(report);
      throw new ResourceInitError(message, id, outs, [message]);
    }
    return { id, outs };
  },

  read: (id, props) => Promise.resolve({ id, props }),

  update: (olds, news) => Promise.resolve(keepOutputs(olds, news, OUTPUTS)),

  delete: () => Promise.resolve(),
};
