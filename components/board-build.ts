import * as pulumi from "./internal/pulumi-sdk";
import {
  describeBootTestFailure,
  parseBootTestJson,
  parseCheckout,
  parseComparison,
  parseManifest,
  type BoardResources,
  type StageName,
} from "@br-criu/planner";
import type { BuildBackend, RunUnit } from "./internal/backend";
import { logStagePlan } from "./internal/log-plan";
import { BuildEnvironment } from "./build-environment";

export interface BoardBuildArgs {
  /** The planner's description of every resource of the build, with its command lines and inputs. */
  readonly resources: BoardResources;
  /** What runs them: br-criu's provider, or @pulumi/command and @pulumi/docker. */
  readonly backend: BuildBackend;
  /** Keep the cache volumes or directories on `pulumi destroy` (br-criu:retainCaches). */
  readonly retainCaches: boolean;
}

/** The boot test's verdicts and timings (br-criu:bootTest). */
export interface BootTestOutputs {
  readonly criuCheck: boolean;
  readonly dumpRestore: boolean;
  /** Milliseconds per acceptance step, and seconds from boot to result. */
  readonly timings: Record<string, number>;
}

/** The double build's verdict (br-criu:verifyReproducible). */
export interface ReproducibilityOutputs {
  readonly reproducible: boolean;
  readonly differingFiles: string[];
}

/**
 * One board's build: the environment, the Buildroot checkout, one resource
 * per row of the stage table (toolchain -> config -> kernel/rootfs -> image),
 * then the boot test and the double build when the stack asks for them.
 */
export class BoardBuild extends pulumi.ComponentResource {
  public readonly imageManifest: pulumi.Output<Record<string, string>>;
  public readonly imageFiles: pulumi.Output<Record<string, string>>;
  public readonly buildrootVerified: pulumi.Output<string>;
  public readonly bootTest?: pulumi.Output<BootTestOutputs>;
  public readonly reproducibility?: pulumi.Output<ReproducibilityOutputs>;

  constructor(name: string, args: BoardBuildArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:index:BoardBuild", name, {}, opts);
    const { resources, backend } = args;
    const environment = new BuildEnvironment(
      `${name}-env`,
      { environment: resources.environment, backend, retainCaches: args.retainCaches, dir: resources.dir },
      { parent: this },
    );
    const checkout = backend.checkout(`${name}-buildroot`, resources.checkout, resources.dir, {
      parent: this,
      dependsOn: environment.ready,
    });
    const stages = declareStages(this, name, resources, backend, [...environment.ready, checkout.resource]);
    const image = stages.image;
    this.imageManifest = image.stdout.apply(parseManifest);
    this.imageFiles = this.imageManifest.apply((manifest) =>
      Object.fromEntries(Object.keys(manifest).map((file) => [file, `${resources.imagesDir}/${file}`])),
    );
    this.buildrootVerified = checkout.stdout.apply(parseCheckout);
    if (resources.bootTest)
      this.bootTest = declareBootTest(this, `${name}-boot-test`, resources, resources.bootTest, backend, image);
    if (resources.doubleBuild) {
      const double = backend.doubleBuild(
        `${name}-double-build`,
        { stack: resources.stack, dir: resources.dir, ...resources.doubleBuild },
        image.resource,
        { parent: this, dependsOn: [image.resource] },
      );
      this.reproducibility = double.stdout.apply(parseComparison).apply((verdict) => ({
        reproducible: verdict.identical,
        differingFiles: verdict.differing,
      }));
    }
    this.registerOutputs({
      imageManifest: this.imageManifest,
      imageFiles: this.imageFiles,
      buildrootVerified: this.buildrootVerified,
      bootTest: this.bootTest,
      reproducibility: this.reproducibility,
    });
  }
}

/** One resource per stage, in table order; each depends on what it builds on, and on what must run first. */
function declareStages(
  parent: pulumi.Resource,
  name: string,
  resources: BoardResources,
  backend: BuildBackend,
  ready: readonly pulumi.Resource[],
): Record<StageName, RunUnit> {
  const units = {} as Record<StageName, RunUnit>;
  for (const spec of resources.stages) {
    const upstream = Object.fromEntries(spec.upstream.map((stage) => [stage, units[stage].resource.id]));
    const dependsOn = [...ready, ...[...spec.upstream, ...spec.after].map((stage) => units[stage].resource)];
    units[spec.stage] = backend.stage(
      `${name}-${spec.stage}`,
      spec,
      upstream,
      { stack: resources.stack, dir: resources.dir },
      { parent, dependsOn },
    );
    logStagePlan(units[spec.stage].resource, spec.stage, spec.plan);
  }
  return units;
}

/** The boot test of the image, its report as outputs; a failed test is an error of the update. */
function declareBootTest(
  parent: pulumi.Resource,
  name: string,
  resources: BoardResources,
  test: { readonly command: string },
  backend: BuildBackend,
  image: RunUnit,
): pulumi.Output<BootTestOutputs> {
  const run = backend.bootTest(
    name,
    { stack: resources.stack, command: test.command, imagesDir: resources.imagesDir, dir: resources.dir },
    image.resource,
    { parent, dependsOn: [image.resource] },
  );
  return run.stdout.apply((stdout) => {
    const report = parseBootTestJson(stdout);
    // br-criu's provider fails the test resource itself; a command's failure is only in its report.
    if (!report.passed) void pulumi.log.error(describeBootTestFailure(report), parent);
    return {
      criuCheck: report.criuCheck,
      dumpRestore: report.dumpRestore,
      timings: { ...report.timings, ...Object.fromEntries(report.steps.map((s) => [`${s.step}Ms`, s.ms])) },
    };
  });
}
