/**
 * The build on Pulumi's standard resource types (br-criu:providers: pulumi):
 * every command line of the planner through `command.local.Command`, the
 * build image through `docker.Image`, the caches through `docker.Volume`.
 * A command's triggers are the stage's inputs map, then the ids of the
 * stages it builds on, so a change replaces (re-runs) exactly the stages
 * br-criu's provider would re-run. Their plugins are downloaded by Pulumi.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { shellCommandLine } from "@br-criu/generators";
import type { DockerEndpoint, StageCommands } from "@br-criu/planner";
import type { BuildBackend, Placement, RunUnit } from "./backend";

/** How the create lines are joined into one command: the first failure stops it, as br-criu's provider does. */
export const CREATE_JOINER = " && \\\n";

const options = (at: Placement, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
  parent: at.parent,
  dependsOn: [...at.dependsOn],
  ...extra,
});

function run(
  name: string,
  commands: StageCommands,
  dir: string,
  triggers: pulumi.Input<unknown>[],
  at: Placement,
  logging: "stdoutAndStderr" | "stderr" = "stdoutAndStderr",
): RunUnit {
  const resource = new command.local.Command(
    name,
    {
      create: commands.create.join(CREATE_JOINER),
      ...(commands.cleanup.length + commands.delete.length > 0
        ? { delete: [...commands.cleanup, ...commands.delete].join("\n") }
        : {}),
      dir,
      triggers,
      logging,
    },
    // As br-criu's provider does: delete the old one first only when its delete removes something (the output directory).
    options(at, { deleteBeforeReplace: commands.delete.length > 0 }),
  );
  return { resource, stdout: resource.stdout };
}

const once = (create: string): StageCommands => ({ create: [create], cleanup: [], delete: [] });

/** The docker provider of a build host, one per engine address (the local engine needs none). */
const engineProviders = new Map<string, docker.Provider>();

function engineOf(endpoint: DockerEndpoint | undefined, at: Placement): { provider?: docker.Provider } {
  if (endpoint === undefined) return {};
  let provider = engineProviders.get(endpoint.host);
  if (provider === undefined) {
    const name = `build-host-${endpoint.host.replace(/[^A-Za-z0-9-]/g, "-")}`;
    const tls = endpoint.tlsDir === undefined ? {} : { certPath: endpoint.tlsDir };
    provider = new docker.Provider(name, { host: endpoint.host, ...tls }, { parent: at.parent });
    engineProviders.set(endpoint.host, provider);
  }
  return { provider };
}

export const pulumiBackend: BuildBackend = {
  buildImage: (name, spec, at) =>
    new docker.Image(
      name,
      {
        imageName: spec.tag,
        build: { context: spec.context, dockerfile: spec.dockerfile, args: { ...spec.buildArgs } },
        skipPush: true,
      },
      options(at, engineOf(spec.endpoint, at)),
    ),

  cache(name, spec, kind, retain, at) {
    if (kind === "volume")
      return new docker.Volume(
        name,
        { name: spec.name },
        options(at, { retainOnDelete: retain, ...engineOf(spec.endpoint, at) }),
      );
    return new command.local.Command(
      name,
      {
        create: shellCommandLine(["mkdir", "-p", spec.name]),
        delete: shellCommandLine(["rm", "-rf", spec.name]),
        triggers: [spec.name],
      },
      options(at, { retainOnDelete: retain }),
    );
  },

  hostTools: (name, script, dir, at) => run(name, once(script), dir, [script], at).resource,

  checkout: (name, spec, dir, at) =>
    run(
      name,
      { create: spec.create, cleanup: [], delete: [] },
      dir,
      [{ url: spec.url, tag: spec.tag, commit: spec.commit, path: spec.path }],
      at,
    ),

  stage: (name, spec, upstream, context, at) =>
    run(name, spec.commands, context.dir, [spec.options, ...spec.upstream.map((stage) => upstream[stage])], at),

  bootTest: (name, test, image, at) =>
    // The JSON report is the result; the command line never fails (|| true).
    run(name, once(test.command), test.dir, [image.id], at, "stderr"),

  doubleBuild: (name, build, image, at) => run(name, build.commands, build.dir, [image.id], at),
};
