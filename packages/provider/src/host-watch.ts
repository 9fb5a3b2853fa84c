/**
 * A remote build host watched while a stage runs there. When the network
 * to it goes (a cable, a VPN, the machine itself), the `docker run` of the
 * stage does not notice for minutes: its connection stays open until TCP
 * keepalive gives up (15 s idle, then 9 probes 15 s apart: about 150 s
 * with Go's defaults). A fresh `docker version` fails at once or times
 * out, so asking every few seconds tells much sooner, and says why.
 */
import { execFile, type ExecFileException } from "node:child_process";
import { dockerCli, type DockerEndpoint } from "@br-criu/planner";

/** How often the host is asked whether it still answers. */
const ASK_EVERY_MS = 5_000;
/** How long one ask may take. */
const ASK_TIMEOUT_MS = 10_000;
/** This many failed asks in a row and the host is lost. */
const LOST_AFTER_FAILURES = 3;

/** Why the last ask failed, in one line: docker's own message, or the timeout. */
function failureOf(error: ExecFileException, stderr: string): string {
  if (error.killed) return `no answer within ${ASK_TIMEOUT_MS / 1000} s`;
  const message = stderr.trim().split("\n").pop();
  return message || error.message;
}

/**
 * Asks `endpoint` every few seconds until stopped; calls `onLost` once,
 * with the last failure, after several failed asks in a row. Returns stop.
 */
export function watchBuildHost(endpoint: DockerEndpoint, onLost: (why: string) => void): () => void {
  const [docker, ...options] = dockerCli(endpoint);
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const ask = () => {
    execFile(
      docker,
      [...options, "version", "--format", "{{.Server.Version}}"],
      { timeout: ASK_TIMEOUT_MS },
      (error, _stdout, stderr) => {
        if (stopped) return;
        failures = error ? failures + 1 : 0;
        if (error && failures >= LOST_AFTER_FAILURES) {
          stopped = true;
          onLost(failureOf(error, stderr));
          return;
        }
        timer = setTimeout(ask, ASK_EVERY_MS);
      },
    );
  };
  timer = setTimeout(ask, ASK_EVERY_MS);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
