/** Where every cache of br-criu lives, outside the repository. */
import { homedir } from "node:os";
import { join } from "node:path";

/** Cache root: $BR_CRIU_CACHE, else $XDG_CACHE_HOME/br-criu, else ~/.cache/br-criu. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env["BR_CRIU_CACHE"]) return env["BR_CRIU_CACHE"];
  return join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "br-criu");
}
