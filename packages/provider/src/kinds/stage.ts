/**
 * A Buildroot stage (one row of the stage table): replaced, and so re-run,
 * exactly when one of its inputs or an upstream stage's id changes, or when
 * refresh found what it built gone or changed on disk.
 */
import { randomUUID } from "node:crypto";
import { STAGE_NAMES } from "@br-criu/planner";
import { drift, fingerprint, type Fingerprint } from "../products";
import type { StageInputs } from "../types";
import { check } from "./checks";
import { runCreate, runDelete } from "./commands";
import { deletesSomething, diffByRules, keepOutputs, withOutputs, type Properties, type ResourceKind } from "./kind";

/** What a stage records besides its inputs: its stdout, what it left on disk (`built`), and what refresh found changed. */
const OUTPUTS = ["stdout", "built", "drift"] as const;
/** At most this much of a stage's stdout is kept in the state. */
const STDOUT_KEPT = 32 * 1024;

/** Names a stage input for messages: where in the stack it comes from. */
function describeOption(key: string): string {
  if (key.startsWith("CONFIG_"))
    return `kernel option ${key} (the CRIU model, a kernel fragment or br-criu:kernelConfig.${key.slice("CONFIG_".length)})`;
  if (key.startsWith("BR2_")) return `Buildroot option ${key} (generated from the stack file)`;
  return `stage input ${key}`;
}

const asStage = (props: Properties) => props as unknown as StageInputs;

export const stageKind: ResourceKind = {
  check: (news) =>
    check(news, (c) => {
      c.pattern("stack", /^[A-Za-z0-9_.-]{1,100}$/, "the stack name");
      c.pattern("stage", new RegExp(`^(${STAGE_NAMES.join("|")})$`), "a stage of the stage table");
      c.stringMap("options", /^[A-Za-z0-9_.:/+-]{1,300}$/, describeOption);
      c.stringMap("upstream", new RegExp(`^(${STAGE_NAMES.join("|")})$`), (key) => `upstream stage ${key}`);
      c.commands("run");
      c.absolutePath("outputDir");
      c.absolutePath("log");
    }),

  diff: (olds, oldInputs, news) =>
    diffByRules(olds, oldInputs, news, {
      replaceOnEntries: ["options", "upstream"],
      replaceIf: (state) => ((state["drift"] as string[] | undefined)?.length ? ["drift"] : []),
      deleteFirst: deletesSomething(news),
    }),

  async create(inputs, context) {
    const stage = asStage(inputs);
    const result = await runCreate(
      {
        dir: stage.run.dir,
        commands: stage.run.commands,
        what: `${stage.stack} ${stage.stage}`,
        streamProgress: true,
        failureHint: `full make log: ${stage.log}`,
        ...(stage.run.buildHost ? { buildHost: stage.run.buildHost } : {}),
      },
      context,
    );
    const built = await fingerprint(stage.outputDir, stage.products);
    return {
      id: randomUUID(),
      outs: withOutputs(inputs, { stdout: result.stdout.slice(-STDOUT_KEPT), built, drift: [] }),
    };
  },

  async read(id, props) {
    const stage = asStage(props);
    const now = await fingerprint(stage.outputDir, stage.products);
    return { id, props: { ...props, drift: drift((props["built"] ?? {}) as Fingerprint, now) } };
  },

  update: (olds, news) => Promise.resolve(keepOutputs(olds, news, OUTPUTS)),

  async delete(_id, props, context) {
    const stage = asStage(props);
    await runDelete(
      { dir: stage.run.dir, commands: stage.run.commands, what: `${stage.stack} ${stage.stage}` },
      context,
    );
  },
};
