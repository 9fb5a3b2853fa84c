import * as pulumi from "./pulumi-sdk";
import type { StagePlan } from "@br-criu/planner";

/** Puts the planner's reason for re-running a stage into the preview/update log of that stage. */
export function logStagePlan(resource: pulumi.Resource, stage: string, plan: StagePlan): void {
  if (plan.rebuild) void pulumi.log.info(`${stage} re-runs: ${plan.reasons.join("; ")}`, resource);
}
