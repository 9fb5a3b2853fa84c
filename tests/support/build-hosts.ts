/**
 * Build hosts that are separate machines as far as Docker and the network
 * can tell: each a network namespace of its own, reached from this machine
 * only through a veth pair with addresses of its own, running its own
 * dockerd (its own data root, exec root, pid file and containerd) that
 * answers on tcp:// with TLS, with certificates made here by openssl. The
 * namespace reaches Debian's mirror through NAT on this machine (the build
 * image installs packages from it), so taking the veth down cuts the host
 * off as a pulled cable would. Needs root, ip, iptables, openssl, dockerd.
 *
 * A host's Docker data root is kept under the br-criu cache (the build
 * image's layers make a warm run fast); everything else is made per run.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "@br-criu/cache";
import type { DockerEndpoint } from "@br-criu/planner";
import { dockerCli } from "@br-criu/planner";
import { TEST_MIRROR, TEST_SECURITY_MIRROR, giveToUser } from "./container";
import type { EngineWorld } from "./engine";
import { scratchDir } from "./scratch";

/** The port a Docker engine with TLS listens on, by convention. */
const DOCKER_TLS_PORT = 2376;

export interface BuildHost {
  /** a, b, ...: names its namespace, interfaces and data root. */
  readonly name: string;
  /** tcp://<address>:2376, as br-criu:buildHost takes it. */
  readonly host: string;
  /** Client certificates for br-criu:buildHostTls. */
  readonly tlsDir: string;
  readonly endpoint: DockerEndpoint;
  /** dockerd's log (debug level: every API call, container names included). */
  readonly log: string;
  /** Runs the docker CLI against this host. */
  docker(...args: string[]): { status: number; stdout: string; stderr: string };
  /** Takes the host's veth down: it can no longer be reached. */
  cutOff(): void;
  /** Brings the veth back up. */
  reconnect(): void;
}

export interface BuildFarm {
  readonly hosts: readonly BuildHost[];
  /** Stops every dockerd, removes the namespaces, interfaces and NAT rules. */
  stop(): void;
}

const run = (command: string, ...args: string[]) =>
  execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** A CA, a server certificate per host (its address as the subject's IP), and one client certificate. */
function certificates(dir: string, addresses: readonly string[]): { server: string[]; client: string } {
  const ssl = (...args: string[]) => run("openssl", ...args);
  const ca = { key: join(dir, "ca-key.pem"), cert: join(dir, "ca.pem") };
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=br-criu test CA",
    "-keyout",
    ca.key,
    "-out",
    ca.cert,
  );
  const signed = (name: string, extensions: string): string => {
    const out = join(dir, name);
    mkdirSync(out, { recursive: true });
    const ext = join(out, "ext.cnf");
    writeFileSync(ext, extensions);
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      join(out, "key.pem"),
      "-out",
      join(out, "req.csr"),
    );
    ssl(
      "x509",
      "-req",
      "-in",
      join(out, "req.csr"),
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      ext,
      "-out",
      join(out, "cert.pem"),
    );
    writeFileSync(join(out, "ca.pem"), readFileSync(ca.cert));
    return out;
  };
  const server = addresses.map((address, index) =>
    signed(`server-${index}`, `subjectAltName = IP:${address}\nextendedKeyUsage = serverAuth\n`),
  );
  return { server, client: signed("client", "extendedKeyUsage = clientAuth\n") };
}

/** Waits until the engine answers, or fails with the end of its log. */
function waitForEngine(host: BuildHost, dockerd: ChildProcess): void {
  for (let attempt = 0; attempt < 120; attempt++) {
    if (host.docker("version", "--format", "{{.Server.Version}}").status === 0) return;
    if (dockerd.exitCode !== null) break;
    spawnSync("sleep", ["0.5"]);
  }
  const tail = existsSync(host.log) ? readFileSync(host.log, "utf8").split("\n").slice(-20).join("\n") : "";
  throw new Error(`build host ${host.name}: dockerd did not answer on ${host.host}:\n${tail}`);
}

/**
 * `count` build hosts, each with `images` (from this machine's engine)
 * loaded into its engine.
 */
export function startBuildFarm(count: number, images: readonly string[]): BuildFarm {
  const work = scratchDir("build-farm");
  // Traversable, so that the user `pulumi up` runs as reaches the client certificates (handed to it by the test).
  chmodSync(work, 0o711);
  const id = randomBytes(3).toString("hex");
  // A /16 of its own per run, from 10.64.0.0 up: two runs on one machine do not collide.
  const net = `10.${64 + (parseInt(id.slice(0, 2), 16) % 128)}`;
  const names = Array.from({ length: count }, (_, index) => String.fromCharCode(97 + index));
  const addresses = names.map((_, index) => `${net}.${index}.2`);
  const certs = certificates(work, addresses);
  const undo: (() => void)[] = [];
  const dockerds: ChildProcess[] = [];
  const stop = () => {
    for (const dockerd of dockerds) dockerd.kill("SIGTERM");
    for (const dockerd of dockerds)
      for (let i = 0; i < 40 && dockerd.exitCode === null && dockerd.signalCode === null; i++)
        spawnSync("sleep", ["0.25"]);
    for (const step of undo.reverse()) step();
  };
  // A test killed before its after() ran leaves nothing behind either.
  let stopped = false;
  const stopOnce = () => {
    if (!stopped) stop();
    stopped = true;
  };
  process.once("exit", stopOnce);
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      stopOnce();
      process.exit(1);
    });
  const undoCommand = (...argv: string[]) => undo.push(() => spawnSync(argv[0]!, argv.slice(1), { stdio: "ignore" }));
  run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
  // With a host's veth down its addresses must be unreachable, not sent out by the default route
  // (where a machine's network may answer for any address).
  run("ip", "route", "add", "unreachable", `${net}.0.0/16`, "metric", "1000");
  undoCommand("ip", "route", "delete", "unreachable", `${net}.0.0/16`, "metric", "1000");
  const masquerade = ["POSTROUTING", "-s", `${net}.0.0/16`, "!", "-d", `${net}.0.0/16`, "-j", "MASQUERADE"];
  run("iptables", "-t", "nat", "-A", ...masquerade);
  undoCommand("iptables", "-t", "nat", "-D", ...masquerade);
  try {
    const hosts = names.map((name, index): BuildHost => {
      const ns = `brc-${id}-${name}`;
      const outside = `brc${id}${name}0`;
      const inside = `brc${id}${name}1`;
      const gateway = `${net}.${index}.1`;
      const address = addresses[index]!;
      run("ip", "netns", "add", ns);
      undoCommand("ip", "netns", "delete", ns);
      run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
      undoCommand("ip", "link", "delete", outside);
      run("ip", "link", "set", inside, "netns", ns);
      run("ip", "addr", "add", `${gateway}/30`, "dev", outside);
      run("ip", "link", "set", outside, "up");
      const inNs = (...argv: string[]) => run("ip", "netns", "exec", ns, ...argv);
      inNs("ip", "addr", "add", `${address}/30`, "dev", inside);
      inNs("ip", "link", "set", inside, "up");
      inNs("ip", "link", "set", "lo", "up");
      inNs("ip", "route", "add", "default", "via", gateway);
      // This machine's dockerd drops forwarded traffic by default; let the namespace's through.
      for (const rule of [
        ["-i", outside, "-j", "ACCEPT"],
        ["-o", outside, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
      ]) {
        run("iptables", "-I", "FORWARD", ...rule);
        undoCommand("iptables", "-D", "FORWARD", ...rule);
      }
      const dataRoot = join(cacheRoot(), "build-hosts", name);
      const runDir = join(work, `host-${name}`);
      mkdirSync(dataRoot, { recursive: true });
      mkdirSync(runDir, { recursive: true });
      const log = join(runDir, "dockerd.log");
      const logFd = openSync(log, "a");
      const server = certs.server[index]!;
      // nsenter, not `ip netns exec`: that also remounts /sys, hiding the cgroup file systems dockerd needs.
      const dockerd = spawn(
        "nsenter",
        [
          ...[`--net=/run/netns/${ns}`, "dockerd", "--debug"],
          ...["--data-root", dataRoot, "--exec-root", join(runDir, "exec"), "--pidfile", join(runDir, "dockerd.pid")],
          ...["-H", `tcp://${address}:${DOCKER_TLS_PORT}`, "-H", `unix://${join(runDir, "docker.sock")}`],
          ...["--tlsverify", "--tlscacert", join(server, "ca.pem")],
          ...["--tlscert", join(server, "cert.pem"), "--tlskey", join(server, "key.pem")],
        ],
        { stdio: ["ignore", logFd, logFd] },
      );
      closeSync(logFd);
      dockerds.push(dockerd);
      const endpoint = { host: `tcp://${address}:${DOCKER_TLS_PORT}`, tlsDir: certs.client };
      const [docker, ...options] = dockerCli(endpoint);
      const host: BuildHost = {
        name,
        host: endpoint.host,
        tlsDir: certs.client,
        endpoint,
        log,
        docker: (...args) => {
          const result = spawnSync(docker, [...options, ...args], { encoding: "utf8", timeout: 600_000 });
          return { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
        },
        cutOff: () => void run("ip", "link", "set", outside, "down"),
        reconnect: () => void run("ip", "link", "set", outside, "up"),
      };
      waitForEngine(host, dockerd);
      return host;
    });
    for (const host of hosts)
      for (const image of images) {
        if (host.docker("image", "inspect", image).status === 0) continue;
        const [docker, ...options] = dockerCli(host.endpoint);
        // docker save here, docker load there: the host has no registry to pull from.
        execFileSync(
          "sh",
          ["-c", 'image="$1"; shift; docker save "$image" | "$@" load', "sh", image, docker, ...options],
          {
            stdio: ["ignore", "ignore", "pipe"],
          },
        );
      }
    return { hosts, stop: stopOnce };
  } catch (error) {
    stopOnce();
    throw error;
  }
}

/**
 * Sets each of `stacks` (already made by standInStacks) to build in docker
 * mode on the host of the same index, from `base`, with cache volumes of
 * the given names on every host.
 */
export function assignBuildHosts(
  world: EngineWorld,
  stacks: readonly string[],
  farm: BuildFarm,
  base: string,
  caches: { readonly downloads: string; readonly ccache: string },
): void {
  for (const host of farm.hosts) giveToUser(world.user, host.tlsDir);
  for (const [index, stack] of stacks.entries()) {
    const host = farm.hosts[index]!;
    for (const [key, value] of [
      ["buildMode", "docker"],
      ["buildHost", host.host],
      ["buildHostTls", host.tlsDir],
      ["buildBaseImage", base],
      ["buildDebianArchive", TEST_MIRROR],
      ["buildDebianSecurityArchive", TEST_SECURITY_MIRROR],
      ["downloadCache", caches.downloads],
      ["ccacheCache", caches.ccache],
    ] as const) {
      const ran = world.pulumi("config", "set", `br-criu:${key}`, value, "--stack", stack);
      if (ran.status !== 0) throw new Error(`config set ${key} on ${stack} failed:\n${ran.stderr}`);
    }
  }
}
