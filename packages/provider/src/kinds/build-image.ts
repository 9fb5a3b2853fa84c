/**
 * The build image, built from packages/build-env by `docker build`. Its tag
 * is a content address (the build context and the stack's build arguments),
 * so other stacks share it and a changed Dockerfile builds a new one; it is
 * kept on delete. Refresh reports it gone when the engine lost it.
 */
import { spawnSync } from "node:child_process";
import { ARCHIVE_URL, IMAGE_REFERENCE } from "@br-criu/model";
import { dockerCli, type DockerEndpoint } from "@br-criu/planner";
import { runArgv } from "../run";
import type { BuildImageInputs } from "../types";
import { check } from "./checks";
import { explained } from "./commands";
import { diffByRules, keepOutputs, withOutputs, type Properties, type ResourceKind } from "./kind";

const OUTPUTS = ["imageId", "drift"] as const;

/** The Dockerfile's build arguments a stack may set, each with the grammar of its stack key. */
const BUILD_ARGS = {
  BASE: { grammar: IMAGE_REFERENCE, stackKey: "buildBaseImage" },
  DEBIAN_ARCHIVE: { grammar: ARCHIVE_URL, stackKey: "buildDebianArchive" },
  DEBIAN_SECURITY_ARCHIVE: { grammar: ARCHIVE_URL, stackKey: "buildDebianSecurityArchive" },
} as const;

const asImage = (props: Properties) => props as unknown as BuildImageInputs;

function imageId(tag: string, endpoint: DockerEndpoint | undefined): string | undefined {
  const [docker, ...options] = dockerCli(endpoint);
  const inspect = spawnSync(docker, [...options, "image", "inspect", "--format", "{{.Id}}", tag], {
    encoding: "utf8",
  });
  return inspect.status === 0 ? inspect.stdout.trim() : undefined;
}

export const buildImageKind: ResourceKind = {
  check: (news) =>
    check(news, (c) => {
      c.pattern("tag", /^br-criu-build:[0-9a-f]{16}$/, "the build image's content-addressed tag");
      c.absolutePath("context");
      c.absolutePath("dockerfile");
      c.endpoint("endpoint");
      const args = (news["buildArgs"] ?? {}) as Record<string, unknown>;
      for (const [name, value] of Object.entries(args)) {
        const known = Object.hasOwn(BUILD_ARGS, name) ? BUILD_ARGS[name as keyof typeof BUILD_ARGS] : undefined;
        if (!known) c.pattern(`buildArgs.${name}`, /^$/, "not a build argument a stack may set", name);
        else c.grammar(`buildArgs.${name}`, known.grammar, known.stackKey, value);
      }
    }),

  diff: (olds, oldInputs, news) =>
    diffByRules(olds, oldInputs, news, {
      replaceOn: ["tag", "buildArgs", "endpoint"],
      replaceIf: (state) => ((state["drift"] as string[] | undefined)?.length ? ["drift"] : []),
    }),

  async create(inputs, context) {
    const image = asImage(inputs);
    const buildArgs = Object.entries(image.buildArgs).flatMap(([name, value]) => ["--build-arg", `${name}=${value}`]);
    try {
      const [docker, ...options] = dockerCli(image.endpoint);
      await runArgv(
        [docker, ...options, "build", "-t", image.tag, "-f", image.dockerfile, ...buildArgs, image.context],
        {
          dir: image.context,
          groups: context.groups,
          what: `docker build of ${image.tag}`,
          onLine: (line) => line && context.log.progress(context.urn, line),
        },
      );
    } catch (error) {
      throw explained(error);
    }
    const id = imageId(image.tag, image.endpoint);
    if (id === undefined) throw new Error(`docker build reported success, but there is no image ${image.tag}`);
    return { id: image.tag, outs: withOutputs(inputs, { imageId: id, drift: [] }) };
  },

  read(id, props) {
    const present = imageId(asImage(props).tag, asImage(props).endpoint);
    const drift = present === undefined ? [`image ${asImage(props).tag}: missing`] : [];
    return Promise.resolve({ id, props: { ...props, drift } });
  },

  update: (olds, news) => Promise.resolve(keepOutputs(olds, news, OUTPUTS)),

  // Content-addressed and shared by every stack that builds with the same context.
  delete: () => Promise.resolve(),
};
