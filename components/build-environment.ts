import * as pulumi from "./internal/pulumi-sdk";
import type { DockerEnvironment, HostEnvironment } from "@br-criu/planner";
import type { BuildBackend } from "./internal/backend";

export interface BuildEnvironmentArgs {
  /** The planner's description of where the build runs: the build image and volumes, or the host and its directories. */
  readonly environment: DockerEnvironment | HostEnvironment;
  /** What runs the resources (br-criu's provider or Pulumi's command and docker providers). */
  readonly backend: BuildBackend;
  /** Keep the caches when the stack is destroyed (br-criu:retainCaches). */
  readonly retainCaches: boolean;
  /** The working directory of the host tools check (the repository root). */
  readonly dir: string;
}

/**
 * Where build stages run: the build container (image plus cache volumes) or
 * the host (a host tools check plus cache directories). Caches outlive
 * `pulumi destroy` unless `retainCaches` is false.
 */
export class BuildEnvironment extends pulumi.ComponentResource {
  /** What every stage must wait for. */
  public readonly ready: readonly pulumi.Resource[];

  constructor(name: string, args: BuildEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:index:BuildEnvironment", name, {}, opts);
    const { environment, backend } = args;
    const at = { parent: this, dependsOn: [] };
    const kind = environment.mode === "docker" ? "volume" : "directory";
    const caches = environment.caches.map((cache) =>
      backend.cache(`${name}-${cache.role}`, cache, kind, args.retainCaches, at),
    );
    const first =
      environment.mode === "docker"
        ? backend.buildImage(`${name}-image`, environment.buildImage, at)
        : backend.hostTools(`${name}-host-tools`, environment.hostTools, args.dir, at);
    this.ready = [first, ...caches];
    this.registerOutputs({});
  }
}
