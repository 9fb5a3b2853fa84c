/**
 * The stack's configuration as Pulumi hands it to the program, validated by
 * the same schema and rules as `npm run plan`, before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { PULUMI_NAMESPACE, resolveBoard, type ResolvedBoard } from "@br-criu/model";
import { StackError, configKeyTypes, stackFilePath, type Project } from "@br-criu/stacks";

/**
 * Reads every `br-criu:` key of the stack. Pulumi keeps config values as
 * strings (structured ones as JSON); each is decoded by its declared type, and
 * a value that does not decode is passed on as text for the schema to reject.
 */
export function readRawConfig(all: Readonly<Record<string, string>> = pulumi.runtime.allConfig()): Record<string, unknown> {
  const types = configKeyTypes();
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(`${PULUMI_NAMESPACE}:`)) continue;
    const key = fullKey.slice(PULUMI_NAMESPACE.length + 1);
    if (types[key] === "string" || types[key] === undefined) {
      raw[key] = value;
      continue;
    }
    try {
      raw[key] = JSON.parse(value);
    } catch {
      raw[key] = value;
    }
  }
  return raw;
}

/** The resolved board of the current stack, or a RunError naming the stack file, key, problem and fix. */
export function boardForStack(project: Project, stack: string, raw: Record<string, unknown>): ResolvedBoard {
  const result = resolveBoard(raw);
  if (!result.ok) throw new pulumi.RunError(StackError.of(stackFilePath(project, stack), result.problems).message);
  return result.board;
}
