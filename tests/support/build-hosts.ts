/**
 * Build hosts that are separate machines as far as Docker and the network
 * can tell: each a network namespace of its own, reached from this machine
 * only through a veth pair with addresses of its own, running its own
 * dockerd (its own data root, exec root, pid file and containerd). A host
 * is reached either on tcp:// with TLS (certificates made here by openssl)
 * or on ssh:// (an sshd of its own in the namespace, keys made here by
 * ssh-keygen). The namespace reaches Debian's mirror through NAT on this
 * machine (the build image installs packages from it), so taking the veth
 * down cuts the host off as a pulled cable would. Needs root, ip,
 * iptables, openssl, dockerd, sshd, ssh-keygen and nss_wrapper.
 *
 * A host's Docker data root is kept under the br-criu cache (the build
 * image's layers make a warm run fast); everything else is made per run.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "@br-criu/cache";
import type { DockerEndpoint } from "@br-criu/planner";
import { dockerCli } from "@br-criu/planner";
import { TEST_MIRROR, TEST_SECURITY_MIRROR, giveToUser } from "./container";
import type { EngineWorld } from "./engine";
import { scratchDir } from "./scratch";

/** The port a Docker engine with TLS listens on, by convention. */
const DOCKER_TLS_PORT = 2376;

/** How a stack reaches a build host's engine: the two forms br-criu:buildHost takes. */
export type BuildHostTransport = "tcp" | "ssh";

/** What this machine's ssh client needs to reach an ssh:// build host. */
export interface SshAccess {
  /** The host's address, as the client's config and known_hosts name it. */
  readonly address: string;
  /** The private key the host's authorized_keys accepts. */
  readonly clientKey: string;
  /** The host's public key, for known_hosts. */
  readonly hostKey: string;
  /** sshd's log (VERBOSE: every accepted key). */
  readonly log: string;
}

export interface BuildHost {
  /** a, b, ...: names its namespace, interfaces and data root. */
  readonly name: string;
  /** tcp://<address>:2376 or ssh://root@<address>, as br-criu:buildHost takes it. */
  readonly host: string;
  /** Client certificates for br-criu:buildHostTls (tcp:// only). */
  readonly tlsDir?: string;
  /** The client's key and the host's key (ssh:// only). */
  readonly ssh?: SshAccess;
  /** How stacks reach it. */
  readonly endpoint: DockerEndpoint;
  /** dockerd's log (debug level: every API call, container names included). */
  readonly log: string;
  /** The engine's address on the host (`unix://<socket>`), for its administrator and the ssh transport's dial-stdio. */
  readonly localEngine: string;
  /** Runs the docker CLI against this host's engine through its local socket, as its administrator would. */
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

/** The last lines of a log, or nothing when it was never written. */
const tailOf = (log: string, lines = 20): string =>
  existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-lines).join("\n") : "";

/**
 * An sshd in namespace `ns` on `address`:22 with a host key of its own,
 * that lets root in with one key made here, and only to run docker's
 * dial-stdio against this host's engine (authorized_keys' forced command:
 * the docker CLI's ssh transport asks for nothing else).
 */
function startSshd(
  ns: string,
  address: string,
  runDir: string,
  localEngine: string,
): { sshd: ChildProcess; access: SshAccess } {
  const dir = join(runDir, "ssh");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keygen = (file: string) =>
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", file, "-f", join(dir, file));
  keygen("host_key");
  keygen("client_key");
  const clientPublic = readFileSync(join(dir, "client_key.pub"), "utf8").trim();
  writeFileSync(
    join(dir, "authorized_keys"),
    `command="exec env DOCKER_HOST=${localEngine} docker system dial-stdio",restrict ${clientPublic}\n`,
  );
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress ${address}:22`,
      `HostKey ${join(dir, "host_key")}`,
      `PidFile ${join(runDir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin forced-commands-only",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // The keys live under the system's temporary directory (world-writable): StrictModes would refuse them.
      "StrictModes no",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  // sshd's privilege separation directory; Debian's init script makes it, and no init script runs here.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const log = join(runDir, "sshd.log");
  const logFd = openSync(log, "a");
  const sshd = spawn("nsenter", [`--net=/run/netns/${ns}`, "/usr/sbin/sshd", "-D", "-e", "-f", config], {
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  const hostKey = readFileSync(join(dir, "host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
  return { sshd, access: { address, clientKey: join(dir, "client_key"), hostKey, log } };
}

/** Waits until the engine answers, or fails with the end of its log. */
function waitForEngine(host: BuildHost, dockerd: ChildProcess): void {
  for (let attempt = 0; attempt < 120; attempt++) {
    if (host.docker("version", "--format", "{{.Server.Version}}").status === 0) return;
    if (dockerd.exitCode !== null) break;
    spawnSync("sleep", ["0.5"]);
  }
  throw new Error(`build host ${host.name}: dockerd did not answer:\n${tailOf(host.log)}`);
}

/**
 * One build host per entry of `transports`, reached that way, each with
 * `images` (from this machine's engine) loaded into its engine.
 */
export function startBuildFarm(transports: readonly BuildHostTransport[], images: readonly string[]): BuildFarm {
  const work = scratchDir("build-farm");
  // Traversable, so that the user `pulumi up` runs as reaches the client certificates (handed to it by the test).
  chmodSync(work, 0o711);
  const id = randomBytes(3).toString("hex");
  // A /16 of its own per run, from 10.64.0.0 up: two runs on one machine do not collide.
  const net = `10.${64 + (parseInt(id.slice(0, 2), 16) % 128)}`;
  const names = transports.map((_, index) => String.fromCharCode(97 + index));
  const addresses = names.map((_, index) => `${net}.${index}.2`);
  const certs = certificates(work, addresses);
  const undo: (() => void)[] = [];
  const daemons: ChildProcess[] = [];
  const stop = () => {
    for (const daemon of daemons) daemon.kill("SIGTERM");
    for (const daemon of daemons)
      for (let i = 0; i < 40 && daemon.exitCode === null && daemon.signalCode === null; i++)
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
      const localEngine = `unix://${join(runDir, "docker.sock")}`;
      const transport = transports[index]!;
      const server = certs.server[index]!;
      const tcp =
        transport === "tcp"
          ? [
              ...["-H", `tcp://${address}:${DOCKER_TLS_PORT}`, "--tlsverify", "--tlscacert", join(server, "ca.pem")],
              ...["--tlscert", join(server, "cert.pem"), "--tlskey", join(server, "key.pem")],
            ]
          : [];
      // nsenter, not `ip netns exec`: that also remounts /sys, hiding the cgroup file systems dockerd needs.
      const dockerd = spawn(
        "nsenter",
        [
          ...[`--net=/run/netns/${ns}`, "dockerd", "--debug"],
          ...["--data-root", dataRoot, "--exec-root", join(runDir, "exec"), "--pidfile", join(runDir, "dockerd.pid")],
          ...["-H", localEngine, ...tcp],
        ],
        { stdio: ["ignore", logFd, logFd] },
      );
      closeSync(logFd);
      daemons.push(dockerd);
      const reach =
        transport === "tcp"
          ? { endpoint: { host: `tcp://${address}:${DOCKER_TLS_PORT}`, tlsDir: certs.client }, tlsDir: certs.client }
          : (() => {
              const { sshd, access } = startSshd(ns, address, runDir, localEngine);
              daemons.push(sshd);
              return { endpoint: { host: `ssh://root@${address}` }, ssh: access };
            })();
      const host: BuildHost = {
        name,
        host: reach.endpoint.host,
        ...reach,
        log,
        localEngine,
        docker: (...args) => {
          const result = spawnSync("docker", ["-H", localEngine, ...args], {
            encoding: "utf8",
            timeout: 600_000,
          });
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
        // docker save here, docker load there: the host has no registry to pull from.
        execFileSync("sh", ["-c", 'docker save "$1" | docker -H "$2" load', "sh", image, host.localEngine], {
          stdio: ["ignore", "ignore", "pipe"],
        });
      }
    return { hosts, stop: stopOnce };
  } catch (error) {
    stopOnce();
    throw error;
  }
}

/**
 * Lets the user `pulumi up` runs as reach `hosts` over ssh, as a user with
 * a key and a config of their own would: the key, the hosts' keys in
 * known_hosts (checked strictly), no prompt. When that user has no account
 * on this machine (uid 4242 when the tests run as root), ssh refuses to
 * start (it looks its user up), so an `ssh` first on the world's PATH runs
 * the real one under nss_wrapper with an account whose home is the world's.
 */
function giveSshAccess(world: EngineWorld, hosts: readonly SshAccess[]): void {
  if (hosts.length === 0) return;
  const home = world.env["HOME"]!;
  const dotSsh = join(home, ".ssh");
  mkdirSync(dotSsh, { recursive: true, mode: 0o700 });
  const config: string[] = [];
  const knownHosts: string[] = [];
  for (const [index, host] of hosts.entries()) {
    const key = join(dotSsh, `br-criu-farm-${index}`);
    copyFileSync(host.clientKey, key);
    chmodSync(key, 0o600);
    config.push(`Host ${host.address}`, `\tIdentityFile ${key}`, "\tIdentitiesOnly yes", "\tBatchMode yes");
    config.push("\tStrictHostKeyChecking yes");
    knownHosts.push(`${host.address} ${host.hostKey}`);
  }
  writeFileSync(join(dotSsh, "config"), `${config.join("\n")}\n`, { mode: 0o600 });
  writeFileSync(join(dotSsh, "known_hosts"), `${knownHosts.join("\n")}\n`, { mode: 0o600 });
  giveToUser(world.user, dotSsh);
  if (spawnSync("getent", ["passwd", String(world.user.uid)]).status === 0) return;
  const bin = join(world.root, "ssh-account");
  mkdirSync(bin, { recursive: true });
  const { uid, gid } = world.user;
  writeFileSync(join(bin, "passwd"), `br-criu-test:x:${uid}:${gid}:br-criu test user:${home}:/bin/sh\n`);
  writeFileSync(join(bin, "group"), `br-criu-test:x:${gid}:\n`);
  writeFileSync(
    join(bin, "ssh"),
    [
      "#!/bin/sh",
      `export LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD=${join(bin, "passwd")} NSS_WRAPPER_GROUP=${join(bin, "group")}`,
      'exec /usr/bin/ssh "$@"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  giveToUser(world.user, bin);
  // The world's commands (and the provider the engine starts from them) find this ssh first.
  world.env["PATH"] = `${bin}:${world.env["PATH"]}`;
}

/** Waits until the user reaches `host` as its stacks will, or fails with what docker said. */
function waitForUserAccess(world: EngineWorld, host: BuildHost): void {
  const [docker, ...options] = dockerCli(host.endpoint);
  let last = "";
  for (let attempt = 0; attempt < 40; attempt++) {
    const ran = world.run(docker, ...options, "version", "--format", "{{.Server.Version}}");
    if (ran.status === 0) return;
    last = ran.stderr;
    spawnSync("sleep", ["0.5"]);
  }
  throw new Error(`${host.host} does not answer the user stacks run as:\n${last}`);
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
  for (const host of farm.hosts) if (host.tlsDir) giveToUser(world.user, host.tlsDir);
  giveSshAccess(
    world,
    farm.hosts.flatMap((host) => (host.ssh ? [host.ssh] : [])),
  );
  for (const host of farm.hosts) waitForUserAccess(world, host);
  for (const [index, stack] of stacks.entries()) {
    const host = farm.hosts[index]!;
    for (const [key, value] of [
      ["buildMode", "docker"],
      ["buildHost", host.host],
      ...(host.tlsDir ? [["buildHostTls", host.tlsDir] as const] : []),
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
