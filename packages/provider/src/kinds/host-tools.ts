/** Host mode's first step: fails early, naming every host tool Buildroot needs and the machine lacks. */
import { randomUUID } from "node:crypto";
import type { HostToolsInputs } from "../types";
import { check } from "./checks";
import { runCreate } from "./commands";
import { diffByRules, keepOutputs, withOutputs, type Properties, type ResourceKind } from "./kind";

const asHostTools = (props: Properties) => props as unknown as HostToolsInputs;

export const hostToolsKind: ResourceKind = {
  check: (news) =>
    check(news, (c) => {
      c.absolutePath("dir");
      c.pattern("script", /^[^\0]+$/, "the host tools check");
    }),

  diff: (olds, oldInputs, news) => diffByRules(olds, oldInputs, news, { replaceOn: ["script"] }),

  async create(inputs, context) {
    const tools = asHostTools(inputs);
    const commands = { create: [tools.script], cleanup: [], delete: [] };
    const { stdout } = await runCreate(
      { dir: tools.dir, commands, what: "host tools check", streamProgress: false },
      context,
    );
    return { id: randomUUID(), outs: withOutputs(inputs, { stdout }) };
  },

  read: (id, props) => Promise.resolve({ id, props }),

  update: (olds, news) => Promise.resolve(keepOutputs(olds, news, ["stdout"])),

  delete: () => Promise.resolve(),
};
