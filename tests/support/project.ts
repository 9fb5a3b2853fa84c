/** Test helpers: temporary br-criu projects and an in-process CLI runner. */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { run } from "@br-criu/cli";
import { scratchDir } from "./scratch";

export const REPO_ROOT = resolve(__dirname, "..", "..");

/** A temporary project with the real Pulumi.yaml and the given stack files. */
export function makeProject(stacks: Record<string, string>, options: { withRealStacks?: boolean } = {}): string {
  const root = scratchDir("test");
  copyFileSync(join(REPO_ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
  mkdirSync(join(root, "stacks"));
  if (options.withRealStacks) {
    for (const name of readdirSync(join(REPO_ROOT, "stacks")))
      copyFileSync(join(REPO_ROOT, "stacks", name), join(root, "stacks", name));
  }
  for (const [name, content] of Object.entries(stacks))
    writeFileSync(join(root, "stacks", `Pulumi.${name}.yaml`), content);
  return root;
}

/** A stack file with the given br-criu keys (values as YAML fragments). */
export function stackYaml(keys: Record<string, string>): string {
  return `config:\n${Object.entries(keys)
    .map(([key, value]) => `  br-criu:${key}: ${value}`)
    .join("\n")}\n`;
}

export const MINIMAL_X86 = { board: "test-board", description: "test board", arch: "x86_64" };

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(argv: string[], cwd: string = REPO_ROOT): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, { cwd, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
