/**
 * The plugin's entry: bin/pulumi-resource-br-criu-build runs it with the
 * engine's address as the first argument, and the engine reads the port it
 * serves on from stdout. SIGINT and SIGTERM (the engine shutting its plugins
 * down) stop every running command's process group before the provider exits.
 */
import { engineLog } from "./engine-log";
import { brCriuProvider } from "./provider";
import { ProcessGroups } from "./run";
import { serve } from "./server";

/** The engine's address: the first argument that is not a logging or tracing flag (as the SDK's provider server reads it). */
function engineAddressOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--tracing") i++;
    else if (arg !== "--logtostderr" && !arg.startsWith("-v=")) return arg;
  }
  return undefined;
}

const groups = new ProcessGroups();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void groups.cancelAll().finally(() => process.exit(1));
  });
}

serve(brCriuProvider(engineLog(engineAddressOf(process.argv.slice(2))), groups)).then(
  (port) => console.log(String(port)),
  (error: unknown) => {
    console.error(`br-criu's provider could not start: ${(error as Error).message}`);
    process.exit(1);
  },
);
