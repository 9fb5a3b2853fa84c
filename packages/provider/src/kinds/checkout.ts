/**
 * The pinned Buildroot checkout, shared by every stack on the same commit:
 * refused unless the tag is the pinned commit, kept on delete, and reported
 * as drift by refresh when it is gone or at another commit.
 */
import { execFileSync } from "node:child_process";
import { GIT_REPOSITORY } from "@br-criu/model";
import { parseCheckout } from "@br-criu/planner";
import type { CheckoutInputs } from "../types";
import { check } from "./checks";
import { runCreate } from "./commands";
import { diffByRules, keepOutputs, withOutputs, type Properties, type ResourceKind } from "./kind";

const OUTPUTS = ["verified", "drift"] as const;

const asCheckout = (props: Properties) => props as unknown as CheckoutInputs;

/** The commit the checkout is at, or why it cannot be read. */
function headOf(path: string): string {
  try {
    return execFileSync("git", ["-C", path, "rev-parse", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "missing";
  }
}

export const checkoutKind: ResourceKind = {
  check: (news) =>
    check(news, (c) => {
      c.grammar("url", GIT_REPOSITORY, "buildrootRepository");
      c.pattern(
        "tag",
        /^\d{4}\.\d{2}(\.\d{1,3})?(-[A-Za-z0-9]+)?$/,
        "br-criu:buildrootVersion: a Buildroot release tag",
      );
      c.pattern("commit", /^[0-9a-f]{40}$/, "br-criu:buildrootCommit: a full commit id");
      c.absolutePath("path");
      c.commands("run");
    }),

  diff: (olds, oldInputs, news) =>
    diffByRules(olds, oldInputs, news, {
      replaceOn: ["url", "tag", "commit", "path"],
      replaceIf: (state) => ((state["drift"] as string[] | undefined)?.length ? ["drift"] : []),
    }),

  async create(inputs, context) {
    const checkout = asCheckout(inputs);
    const what = `Buildroot ${checkout.tag} checkout`;
    const { stdout } = await runCreate(
      { dir: checkout.run.dir, commands: checkout.run.commands, what, streamProgress: true },
      context,
    );
    return { id: checkout.path, outs: withOutputs(inputs, { verified: parseCheckout(stdout), drift: [] }) };
  },

  read(id, props) {
    const { path, commit } = asCheckout(props);
    const head = headOf(path);
    const drift =
      head === commit ? [] : [head === "missing" ? `${path}: missing` : `${path}: at ${head}, not ${commit}`];
    return Promise.resolve({ id, props: { ...props, drift } });
  },

  update: (olds, news) => Promise.resolve(keepOutputs(olds, news, OUTPUTS)),

  // Other stacks on the same commit use it; removing a checkout is a user's decision.
  delete: () => Promise.resolve(),
};
