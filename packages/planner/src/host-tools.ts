/**
 * What a machine must have to run Buildroot and stage.sh: the build
 * container's Dockerfile installs it, host mode checks it before the first
 * stage, and the container tier's stand-in Buildroot checks it inside the
 * built image the way Buildroot's support/dependencies/dependencies.sh does.
 */
import { shellQuote } from "@br-criu/generators";

interface HostTool {
  /** Program name (or absolute path) looked up with `command -v`. */
  readonly tool: string;
  readonly why: string;
}

/** Buildroot 2026.02's dependency check (support/dependencies/dependencies.sh), then stage.sh's own needs. */
const BUILDROOT_HOST_TOOLS: readonly HostTool[] = [
  { tool: "which", why: "dependencies.sh looks every other program up with which" },
  { tool: "sed", why: "checked first by dependencies.sh" },
  { tool: "/usr/bin/file", why: "libtool fails unless file is exactly /usr/bin/file (dependencies.sh)" },
  { tool: "make", why: "Buildroot is a make program" },
  { tool: "gcc", why: "the host C compiler (HOSTCC)" },
  { tool: "g++", why: "the host C++ compiler (HOSTCXX)" },
  { tool: "perl", why: "required by dependencies.sh" },
  { tool: "tar", why: "extracts every source archive" },
  { tool: "wget", why: "the default download method" },
  { tool: "cpio", why: "required by dependencies.sh; cpio root filesystems" },
  { tool: "unzip", why: "required by dependencies.sh" },
  { tool: "rsync", why: "copies rootfs overlays and local sources" },
  { tool: "bc", why: "the kernel build needs it" },
  { tool: "cmp", why: "required by dependencies.sh (diffutils)" },
  { tool: "find", why: "required by dependencies.sh (findutils)" },
  { tool: "xargs", why: "required by dependencies.sh (findutils)" },
  { tool: "awk", why: "required by dependencies.sh" },
  { tool: "patch", why: "GNU patch >= 2.7 applies package patches" },
  { tool: "git", why: "git-method downloads (CRIU's is a tarball, Buildroot's own checkout is git)" },
  { tool: "gzip", why: "zcat extracts .tar.gz sources" },
  { tool: "bzip2", why: "bzcat extracts .tar.bz2 sources" },
  { tool: "xz", why: "xzcat extracts .tar.xz sources (CRIU's, the kernel's)" },
  { tool: "python3", why: "CRIU's build and the kernel's scripts" },
  { tool: "bash", why: "stage.sh and Buildroot's scripts" },
  { tool: "sha256sum", why: "stage.sh writes the image manifest" },
  { tool: "flock", why: "stage.sh locks the Buildroot checkout that stacks built side by side share" },
];

/**
 * A shell script that fails, naming every missing tool, unless all of
 * BUILDROOT_HOST_TOOLS are found; prints "host tools ready" otherwise.
 */
export function hostToolsCheck(context: string): string {
  const tools = BUILDROOT_HOST_TOOLS.map((t) => shellQuote(t.tool)).join(" ");
  return [
    `missing=''; for tool in ${tools}; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done`,
    `if [ -n "$missing" ]; then echo ${shellQuote(`${context} needs Buildroot's host tools; missing:`)}"$missing" >&2; exit 1; fi`,
    "echo 'host tools ready'",
  ].join("\n");
}
