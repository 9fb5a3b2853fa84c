/**
 * Benchmarks: print numbers, assert nothing (the targets are listed in docs/testing.md).
 *   plan:   validate and render all stacks (target: under 1 s after start-up)
 *   kernel: verify all stacks' kernel configs once the source is unpacked
 *           (target: under 60 s on 2 cores)
 *   program: evaluate the Pulumi program for all stacks under mocks
 *           (target: under 2 s total)
 *   package: CRIU build with the package's recipe per architecture (cold time, or
 *           the cold time recorded when the cached build was made)
 *   container: the debootstrap'd base (or the engine's copy), docker build of
 *           packages/build-env, and one stand-in Buildroot build in the container
 *   runtime: every stack's test kernel build (or cache hit), QEMU boot-to-result and the ZDTM run after it
 *           of the CRIU acceptance test (target: under 15 s under TCG)
 *   engine:  on the real engine with br-criu's provider, qemu-x86_64 in host mode on the
 *           bootable stand-in Buildroot: preview and a no-op up (targets: under 10 s and
 *           under 15 s and 2x the floor, an up of an empty program on the same engine),
 *           and a full up against the same command lines run in sequence by a shell;
 *           then `up -- --all` of two stand-in stacks at --parallel 1 and 2, on this
 *           machine and on two build hosts (network namespaces with a dockerd each)
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { run } from "@br-criu/cli";
import { REPO_LAYOUT, renderBoardFiles } from "@br-criu/generators";
import { cacheRoot } from "@br-criu/cache";
import { DEBIAN_KERNEL_TARBALL, ensureKernelSource } from "@br-criu/kernel";
import { buildCriu } from "@br-criu/runtime";
import { listStacks, loadProject, loadStack, resolveStack } from "@br-criu/stacks";
import { pulumiConfig, runProgram } from "../tests/support/mocks";
import {
  buildEnvironmentImage,
  ensureBaseImage,
  fullBuildSteps,
  giveToUser,
  invokingUser,
  requireDocker,
  runAsUser,
  userDirectory,
} from "../tests/support/container";
import { createStandInBuildroot } from "../tests/support/standin-buildroot";
import { benchEngine } from "./engine";
import { scratchDir } from "../tests/support/scratch";

const root = resolve(__dirname, "..");

function planAllStacks(): number {
  const project = loadProject(root);
  let bytes = 0;
  for (const name of listStacks(project)) {
    const stack = loadStack(project, name);
    for (const file of renderBoardFiles(resolveStack(stack), stack.file)) bytes += file.content.length;
  }
  return bytes;
}

async function time<T>(fn: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function benchPlan(): Promise<void> {
  const first = await time(planAllStacks);
  const runs = 20;
  const repeated = await time(() => {
    for (let i = 0; i < runs; i++) planAllStacks();
  });
  console.log(`plan: validate + render all stacks (first, cold): ${first.ms.toFixed(1)} ms (${first.value} bytes)`);
  console.log(`plan: validate + render all stacks (mean of ${runs} warm runs): ${(repeated.ms / runs).toFixed(1)} ms`);
}

async function benchProgram(): Promise<void> {
  const stacks = listStacks(loadProject(root));
  const workDir = scratchDir("bench-work");
  const program = await time(async () => {
    for (const stack of stacks) await runProgram(stack, pulumiConfig(stack, { workDir }));
  });
  console.log(`program: all ${stacks.length} stacks under Pulumi mocks: ${(program.ms / 1000).toFixed(2)} s`);
}

async function benchKernel(): Promise<void> {
  if (!existsSync(DEBIAN_KERNEL_TARBALL)) {
    console.log(`kernel: not measured, ${DEBIAN_KERNEL_TARBALL} is missing (apt-get install linux-source-6.12)`);
    return;
  }
  const source = await time(() => ensureKernelSource());
  console.log(
    `kernel: source ${source.value.version} ${source.value.unpacked ? "unpacked" : "found in cache"} in ${(source.ms / 1000).toFixed(1)} s`,
  );
  const work = scratchDir("bench");
  const quiet = { cwd: root, stdout: () => undefined, stderr: () => undefined };
  const verify = await time(() => run(["verify-kernel", "--all", "--work", work], quiet));
  console.log(`kernel: verify-kernel --all (5 stacks): ${(verify.ms / 1000).toFixed(1)} s, exit ${verify.value}`);
}

async function benchPackage(): Promise<void> {
  const project = loadProject(root);
  for (const stack of ["qemu-x86_64", "qemu-aarch64", "qemu-arm", "qemu-ppc64le"]) {
    const criu = await time(() => buildCriu(resolveStack(loadStack(project, stack)), cacheRoot()));
    const how = criu.value.cached
      ? `cached (${(criu.ms / 1000).toFixed(1)} s to find; built in ${criu.value.seconds.toFixed(0)} s)`
      : `built in ${criu.value.seconds.toFixed(0)} s`;
    console.log(`package: ${stack} CRIU ${how}`);
  }
}

async function benchRuntime(): Promise<void> {
  for (const stack of listStacks(loadProject(root))) {
    let report = "";
    const runtimeWork = scratchDir("bench-runtime");
    const boot = await time(() =>
      run(["boot-test", stack, "--zdtm", "--json", "--timeout", "1500", "--work", runtimeWork], {
        cwd: root,
        stdout: (t) => (report += t),
        stderr: () => undefined,
      }),
    );
    const parsed = JSON.parse(report) as {
      passed: boolean;
      timings: { kernelBuildSeconds?: number; bootToResultSeconds: number; zdtmSeconds: number };
      zdtm: { outcome: string }[];
    };
    const build = parsed.timings.kernelBuildSeconds;
    console.log(
      `runtime: ${stack} test kernel ${build ? `built in ${build.toFixed(0)} s` : "from cache (delete ~/.cache/br-criu/test-kernels to measure a build)"}`,
    );
    console.log(
      `runtime: ${stack} boot to result under TCG: ${parsed.timings.bootToResultSeconds.toFixed(1)} s (target: under 15 s; ${parsed.passed ? "passed" : "FAILED"}); whole boot-test command ${(boot.ms / 1000).toFixed(1)} s`,
    );
    const failed = parsed.zdtm.filter((o) => o.outcome === "failed").length;
    console.log(
      `runtime: ${stack} ZDTM, ${parsed.zdtm.length} tests after the acceptance test: ${parsed.timings.zdtmSeconds.toFixed(1)} s (${failed} failed)`,
    );
  }
}

/** Every benchmark by name, in the order `npm run bench` runs them. */
const BENCHMARKS: Readonly<Record<string, () => void | Promise<void>>> = {
  plan: benchPlan,
  program: benchProgram,
  kernel: benchKernel,
  package: benchPackage,
  container: benchContainer,
  engine: benchEngine,
  runtime: benchRuntime,
};

async function main(names: readonly string[]) {
  const unknown = names.filter((name) => !Object.hasOwn(BENCHMARKS, name));
  if (unknown.length > 0)
    throw new Error(`no benchmark ${unknown.join(", ")}; benchmarks: ${Object.keys(BENCHMARKS).join(", ")}`);
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) await BENCHMARKS[name]!();
}

/** The container tier's steps, timed: what a first `pulumi up` in docker mode waits for before Buildroot's own work. */
function benchContainer(): void {
  try {
    requireDocker();
  } catch (error) {
    console.log(`container: not measured: ${(error as Error).message}`);
    return;
  }
  const base = ensureBaseImage();
  console.log(
    `container: base image ${base.built ? `debootstrap'd and imported in ${base.seconds.toFixed(0)} s` : "found in the engine (docker rmi it to measure)"}`,
  );
  const image = buildEnvironmentImage(base.value, "br-criu-build-env:bench");
  console.log(
    `container: docker build of packages/build-env: ${image.seconds.toFixed(1)} s (Docker's layer cache makes repeats fast)`,
  );
  const user = invokingUser();
  const standIn = createStandInBuildroot(scratchDir("bench-standin"), randomBytes(6).toString("hex"));
  giveToUser(user, standIn.dir);
  const runner = {
    mode: "docker" as const,
    image: image.value,
    downloadVolume: "br-criu-dl",
    ccacheVolume: "br-criu-ccache",
  };
  const home = userDirectory(user, "bench-home");
  for (const attempt of ["first (downloads)", "second (volumes reused)"]) {
    const paths = {
      buildroot: join(userDirectory(user, "bench-checkout"), "buildroot"),
      external: join(root, REPO_LAYOUT.external),
      output: userDirectory(user, "bench-output"),
    };
    const build = performance.now();
    const result = runAsUser(
      user,
      fullBuildSteps(runner, paths, "bench", standIn, standIn.release, "qemu_x86_64_criu_defconfig").join(" && "),
      home,
    );
    console.log(
      `container: stand-in Buildroot, checkout and six stages in the container, ${attempt}: ${((performance.now() - build) / 1000).toFixed(1)} s${result.status === 0 ? "" : " (FAILED)"}`,
    );
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
