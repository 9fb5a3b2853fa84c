/**
 * What runs the build's resources: br-criu's own provider (br-criu:providers:
 * br-criu, the default) or @pulumi/command and @pulumi/docker
 * (br-criu:providers: pulumi). Both are handed the planner's description of
 * every resource, so both run the same command lines with the same triggers.
 */
import type * as pulumi from "@pulumi/pulumi";
import type {
  BuildImageSpec,
  CacheSpec,
  CheckoutSpec,
  DockerEndpoint,
  StageCommands,
  StageName,
  StageResourceSpec,
} from "@br-criu/planner";

/** A resource that ran something: later resources depend on it, and its id changes when it runs again. */
export interface RunUnit {
  readonly resource: pulumi.CustomResource;
  readonly stdout: pulumi.Output<string>;
}

/** Where every resource goes: its parent and what must exist first. */
export interface Placement {
  readonly parent: pulumi.Resource;
  readonly dependsOn: readonly pulumi.Resource[];
}

export interface BuildBackend {
  buildImage(name: string, spec: BuildImageSpec, at: Placement): pulumi.Resource;
  cache(name: string, spec: CacheSpec, kind: "volume" | "directory", retain: boolean, at: Placement): pulumi.Resource;
  hostTools(name: string, script: string, dir: string, at: Placement): pulumi.Resource;
  checkout(name: string, spec: CheckoutSpec, dir: string, at: Placement): RunUnit;
  /** A stage; `upstream` holds the ids of the stages whose re-run re-runs it. */
  stage(
    name: string,
    spec: StageResourceSpec,
    upstream: Readonly<Partial<Record<StageName, pulumi.Output<string>>>>,
    context: { stack: string; dir: string },
    at: Placement,
  ): RunUnit;
  bootTest(
    name: string,
    test: { stack: string; command: string; imagesDir: string; dir: string },
    image: pulumi.CustomResource,
    at: Placement,
  ): RunUnit;
  doubleBuild(
    name: string,
    build: { stack: string; commands: StageCommands; dir: string; buildHost?: DockerEndpoint },
    image: pulumi.CustomResource,
    at: Placement,
  ): RunUnit;
}
