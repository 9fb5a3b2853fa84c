/** The double build: a second full build in a fresh output directory, and the two image manifests compared. */
import { randomUUID } from "node:crypto";
import type { DoubleBuildInputs } from "../types";
import { check } from "./checks";
import { runCreate, runDelete } from "./commands";
import { diffByRules, keepOutputs, withOutputs, type Properties, type ResourceKind } from "./kind";

const asDoubleBuild = (props: Properties) => props as unknown as DoubleBuildInputs;

export const doubleBuildKind: ResourceKind = {
  check: (news) =>
    check(news, (c) => {
      c.pattern("stack", /^[A-Za-z0-9_.-]{1,100}$/, "the stack name");
      c.commands("run");
    }),

  // Its delete empties the second output directory the new one builds in.
  diff: (olds, oldInputs, news) =>
    diffByRules(olds, oldInputs, news, { replaceOn: ["image", "run"], deleteFirst: true }),

  async create(inputs, context) {
    const build = asDoubleBuild(inputs);
    const what = `${build.stack} double build`;
    const { stdout } = await runCreate(
      {
        dir: build.run.dir,
        commands: build.run.commands,
        what,
        streamProgress: true,
        ...(build.run.buildHost ? { buildHost: build.run.buildHost } : {}),
      },
      context,
    );
    return { id: randomUUID(), outs: withOutputs(inputs, { stdout }) };
  },

  read: (id, props) => Promise.resolve({ id, props }),

  update: (olds, news) => Promise.resolve(keepOutputs(olds, news, ["stdout"])),

  async delete(_id, props, context) {
    const build = asDoubleBuild(props);
    await runDelete({ dir: build.run.dir, commands: build.run.commands, what: `${build.stack} double build` }, context);
  },
};
