import { shellCommandLine } from "@br-criu/generators";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hostToolsCheck, type Runner } from "@br-criu/planner";

export interface BuildEnvironmentArgs {
  /** `docker`: build the br-criu build image and cache volumes; `host`: run stages on this machine. */
  readonly mode: "docker" | "host";
  /** Directory with the Dockerfile and stage.sh (packages/build-env). */
  readonly contextDir: string;
  /** Tag of the build image; content-addressed by the caller so a Dockerfile change rebuilds it. */
  readonly imageName: string;
  /** Docker volume for Buildroot's download cache, shared by every stack on this host. */
  readonly downloadVolume: string;
  /** Docker volume for ccache, shared by every stack on this host. */
  readonly ccacheVolume: string;
  /** Keep the cache volumes when the stack is destroyed. */
  readonly retainCaches: boolean;
  /** Host mode: directory for the download cache and ccache. */
  readonly hostCacheDir: string;
}

/**
 * Where build stages run: the build container (image plus cache volumes) or
 * the host. Caches outlive `pulumi destroy` unless `retainCaches` is false.
 */
export class BuildEnvironment extends pulumi.ComponentResource {
  /** How stage commands are run; consumed by every stage. */
  public readonly runner: pulumi.Output<Runner>;

  constructor(name: string, args: BuildEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:BuildEnvironment", name, {}, opts);
    if (args.mode === "docker") {
      const image = new docker.Image(
        `${name}-image`,
        {
          imageName: args.imageName,
          build: { context: args.contextDir, dockerfile: `${args.contextDir}/Dockerfile` },
          skipPush: true,
        },
        { parent: this },
      );
      const downloads = new docker.Volume(
        `${name}-downloads`,
        { name: args.downloadVolume },
        { parent: this, retainOnDelete: args.retainCaches },
      );
      const ccache = new docker.Volume(
        `${name}-ccache`,
        { name: args.ccacheVolume },
        { parent: this, retainOnDelete: args.retainCaches },
      );
      this.runner = pulumi
        .all([image.imageName, downloads.name, ccache.name])
        .apply(([imageName, downloadVolume, ccacheVolume]) => ({
          mode: "docker" as const,
          image: imageName,
          downloadVolume,
          ccacheVolume,
        }));
    } else {
      const downloadDir = `${args.hostCacheDir}/dl`;
      const ccacheDir = `${args.hostCacheDir}/ccache`;
      // Fails early, naming what is missing, instead of deep inside a make.
      const check = new command.local.Command(
        `${name}-host-check`,
        {
          create: [shellCommandLine(["mkdir", "-p", downloadDir, ccacheDir]), hostToolsCheck("host mode")].join("\n"),
        },
        { parent: this },
      );
      this.runner = check.stdout.apply(() => ({
        mode: "host" as const,
        stageScript: `${args.contextDir}/stage.sh`,
        downloadDir,
        ccacheDir,
      }));
    }
    this.registerOutputs({ runner: this.runner });
  }
}
