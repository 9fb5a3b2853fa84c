/**
 * Which stages a build re-runs, and why, given the record of the last
 * successful build. Buildroot cannot change a toolchain or remove a package
 * in an existing output directory, so those changes (and a Buildroot bump)
 * force a clean build, counted by `epoch`.
 */
import { STAGE_NAMES, downstreamOf, type StageName } from "./stage-table";
import { inputsHash, type InputMap, type StageInputs } from "./stages";

/** Written after a successful build; read by the next plan. */
export interface BuildRecord {
  readonly format: 1;
  /** Increases with every clean build; part of the toolchain stage's trigger. */
  readonly epoch: number;
  readonly inputsHash: string;
  readonly inputs: StageInputs;
}

export interface StagePlan {
  readonly rebuild: boolean;
  /** Readable reasons, empty when the stage is unchanged. */
  readonly reasons: readonly string[];
}

export interface BuildPlan {
  readonly epoch: number;
  readonly clean: boolean;
  readonly stages: Readonly<Record<StageName, StagePlan>>;
  readonly record: BuildRecord;
}

export interface PlanOptions {
  /** br-criu:rebuild: force a clean build. */
  readonly forceClean?: boolean;
}

/** Key-level changes between two input maps, as readable lines. */
function describeChanges(before: InputMap, after: InputMap): string[] {
  const lines: string[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const from = before[key];
    const to = after[key];
    if (from === to) continue;
    if (from === undefined) lines.push(`${key} added (${to})`);
    else if (to === undefined) lines.push(`${key} removed (was ${from})`);
    else lines.push(`${key} changed: ${from} -> ${to}`);
  }
  return lines;
}

/** Packages that were on in the last build and are not now. */
function removedPackages(before: InputMap, after: InputMap): string[] {
  return Object.keys(before)
    .filter((key) => key.startsWith("BR2_PACKAGE_") && before[key] === "y" && after[key] !== "y")
    .sort();
}

export function planBuild(
  previous: BuildRecord | undefined,
  inputs: StageInputs,
  options: PlanOptions = {},
): BuildPlan {
  const cleanReasons: string[] = [];
  if (previous === undefined) cleanReasons.push("first build: no record of an earlier one");
  else {
    if (options.forceClean) cleanReasons.push("clean build requested (br-criu:rebuild)");
    const toolchain = describeChanges(previous.inputs.toolchain, inputs.toolchain);
    if (toolchain.length > 0)
      cleanReasons.push(
        `toolchain, architecture or Buildroot changed (${toolchain.join("; ")}); Buildroot cannot change them in place`,
      );
    for (const symbol of removedPackages(previous.inputs.rootfs, inputs.rootfs)) {
      cleanReasons.push(`${symbol} removed; Buildroot cannot remove a package from an existing build`);
    }
  }
  const clean = cleanReasons.length > 0;
  const epoch = previous === undefined ? 0 : previous.epoch + (clean ? 1 : 0);

  const stages = {} as Record<StageName, StagePlan>;
  for (const stage of STAGE_NAMES) {
    const reasons = clean
      ? [`clean build: ${cleanReasons.join("; ")}`]
      : describeChanges(previous!.inputs[stage], inputs[stage]);
    stages[stage] = { rebuild: reasons.length > 0, reasons };
  }
  if (!clean) {
    for (const stage of STAGE_NAMES) {
      if (!stages[stage].rebuild) continue;
      for (const next of downstreamOf(stage))
        stages[next] = { rebuild: true, reasons: [...stages[next].reasons, `${stage} re-runs`] };
    }
  }
  return { epoch, clean, stages, record: { format: 1, epoch, inputsHash: inputsHash(inputs), inputs } };
}

/** Reads a record written by an earlier build; anything unreadable counts as no record. */
export function parseBuildRecord(text: string | undefined): BuildRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<BuildRecord>;
    if (
      value.format !== 1 ||
      typeof value.epoch !== "number" ||
      typeof value.inputs !== "object" ||
      value.inputs === null
    )
      return undefined;
    for (const stage of STAGE_NAMES) if (typeof value.inputs[stage] !== "object") return undefined;
    return value as BuildRecord;
  } catch {
    return undefined;
  }
}
