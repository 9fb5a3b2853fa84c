/**
 * The value policy: an explicit grammar for every string key of a stack.
 *
 * Stack values end up in a Buildroot defconfig (which Buildroot's make
 * includes, so `$(...)` would run), in kernel fragments (the kernel's make
 * includes auto.conf the same way) and in generated shell scripts. The
 * grammars are the first line of defence: every accepted value is plain
 * printable ASCII from a small alphabet, so no writer ever sees a control
 * character, a quote, `$`, a backtick or a Unicode look-alike. (The writers
 * are the second line: they refuse such characters themselves.)
 *
 * A refusal names the offending character, by code point, and its position.
 */
import { z } from "zod";

/** Why a value is refused, and how to fix it. */
export interface GrammarViolation {
  readonly message: string;
  readonly fix: string;
}

export interface Grammar {
  /** What a valid value looks like, for messages: "a relative path such as board/x/extra.fragment". */
  readonly describe: string;
  /** Characters a value may hold (a RegExp character class, e.g. `[a-z0-9-]`). */
  readonly alphabet: RegExp;
  readonly maxLength: number;
  /** Rules beyond the alphabet; each returns a message when the value breaks it. */
  readonly rules?: readonly ((value: string) => string | undefined)[];
}

/** "U+200B" for a zero-width space: the form messages name characters in. */
export function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

function describeCharacter(character: string): string {
  const code = character.codePointAt(0)!;
  const printable = code >= 0x21 && code <= 0x7e;
  return printable ? `"${character}" (${codePoint(character)})` : codePoint(character);
}

/** The first problem of a value under a grammar, or undefined when it is valid. */
export function checkGrammar(grammar: Grammar, value: string): GrammarViolation | undefined {
  const fix = `write ${grammar.describe}`;
  if (value.length === 0) return { message: "is empty", fix };
  let position = 0;
  for (const character of value) {
    position++;
    if (!grammar.alphabet.test(character)) {
      const code = character.codePointAt(0)!;
      const kind =
        code < 0x20 || code === 0x7f ? "control character" : code > 0x7e ? "non-ASCII character" : "character";
      return { message: `${kind} ${describeCharacter(character)} at position ${position} is not allowed`, fix };
    }
  }
  if (value.length > grammar.maxLength) {
    return { message: `is ${value.length} characters long; at most ${grammar.maxLength} are allowed`, fix };
  }
  for (const rule of grammar.rules ?? []) {
    const message = rule(value);
    if (message !== undefined) return { message, fix };
  }
  return undefined;
}

/** A zod string refined by a grammar; the issue carries the fix for the problem message. */
export function grammarString(grammar: Grammar) {
  return z
    .string()
    .meta({ grammar: grammar.describe })
    .superRefine((value, context) => {
      const violation = checkGrammar(grammar, value);
      if (violation) context.addIssue({ code: "custom", message: violation.message, params: { fix: violation.fix } });
    });
}

const noDotDot = (value: string) =>
  value.split("/").includes("..") ? `".." is not allowed: the path must stay inside the tree` : undefined;
const noEmptySegment = (value: string) =>
  value.startsWith("/")
    ? "must be relative, not start with /"
    : value.split("/").includes("")
      ? "has an empty path segment (// or a trailing /)"
      : undefined;
const noLeadingDash = (value: string) => (value.startsWith("-") ? "must not start with -" : undefined);

/** A path relative to the BR2_EXTERNAL tree (kernel fragments, overlays). */
export const RELATIVE_PATH: Grammar = {
  describe:
    "a path relative to the BR2_EXTERNAL tree, from letters, digits, '.', '_', '-' and '/', without '..', e.g. board/qemu-x86_64/extra.fragment",
  alphabet: /[A-Za-z0-9._/-]/,
  maxLength: 200,
  rules: [noEmptySegment, noDotDot, noLeadingDash],
};

/** An absolute host path (workDir). */
export const ABSOLUTE_PATH: Grammar = {
  describe:
    "an absolute path from letters, digits, '.', '_', '-', '+', '@' and '/', without '..', e.g. /var/cache/br-criu",
  alphabet: /[A-Za-z0-9._/+@-]/,
  maxLength: 200,
  rules: [(value) => (value.startsWith("/") ? undefined : "must be an absolute path (start with /)"), noDotDot],
};

/** One line of prose (description): printable ASCII, bounded. */
export const ONE_LINE: Grammar = {
  describe: "one line of printable ASCII text (no control characters, no Unicode), at most 120 characters",
  alphabet: /[\x20-\x7e]/,
  maxLength: 120,
  rules: [(value) => (value.trim() === value ? undefined : "has leading or trailing spaces")],
};

/** A lower-case identifier: CPU, FPU, architecture or C library names. */
export const IDENTIFIER: Grammar = {
  describe: "a lower-case name from letters, digits, '-', '_' and '.', e.g. cortex-a53",
  alphabet: /[a-z0-9._-]/,
  maxLength: 40,
  rules: [noLeadingDash],
};

/** A QEMU machine type (without properties). */
export const QEMU_MACHINE: Grammar = {
  describe: "a QEMU machine type from lower-case letters, digits, '.', '_' and '-', e.g. virt or pc-q35-9.2",
  alphabet: /[a-z0-9._-]/,
  maxLength: 40,
  rules: [noLeadingDash],
};

/** An in-tree device tree name such as arm/vexpress-v2p-ca9. */
export const DEVICE_TREE: Grammar = {
  describe:
    "an in-tree device tree name from letters, digits, '.', '_', '-', '+' and '/', without '..', e.g. arm/vexpress-v2p-ca9",
  alphabet: /[A-Za-z0-9._+/-]/,
  maxLength: 100,
  rules: [
    noEmptySegment,
    noDotDot,
    noLeadingDash,
    (value) => (value.endsWith(".dts") || value.endsWith(".dtb") ? "must not carry a .dts/.dtb suffix" : undefined),
  ],
};

/** A Docker volume name. */
export const VOLUME_NAME: Grammar = {
  describe: "a Docker volume name from letters, digits, '.', '_' and '-', starting with a letter or digit",
  alphabet: /[A-Za-z0-9._-]/,
  maxLength: 64,
  rules: [(value) => (/^[A-Za-z0-9]/.test(value) ? undefined : "must start with a letter or digit")],
};

/** An RFC 1123 host name label. */
export const HOSTNAME: Grammar = {
  describe:
    "an RFC 1123 host name label: lower-case letters, digits and '-', not starting or ending with '-', at most 63 characters",
  alphabet: /[a-z0-9-]/,
  maxLength: 63,
  rules: [(value) => (value.startsWith("-") || value.endsWith("-") ? "must not start or end with -" : undefined)],
};

const SIZE_UNITS: Readonly<Record<string, number>> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
/** The ext4 image needs room for busybox, CRIU and its libraries, and image directories. */
const MIN_ROOTFS_BYTES = 32 * 1024 ** 2;
/** Buildroot builds the image in the output directory: beyond this it is a typo, not a board. */
const MAX_ROOTFS_BYTES = 64 * 1024 ** 3;

/** Bytes of a size such as 256M, or undefined when it is not one. */
function sizeInBytes(value: string): number | undefined {
  const match = /^([1-9][0-9]{0,7})([KMG])$/.exec(value);
  return match ? Number(match[1]) * SIZE_UNITS[match[2]!]! : undefined;
}

/** An image size: a number with K, M or G, within sane bounds. */
export const IMAGE_SIZE: Grammar = {
  describe: "a size such as 256M or 1G (a whole number with K, M or G, from 32M to 64G)",
  alphabet: /[0-9KMG]/,
  maxLength: 9,
  rules: [
    (value) => {
      const bytes = sizeInBytes(value);
      if (bytes === undefined) return "is not a whole number followed by K, M or G";
      if (bytes < MIN_ROOTFS_BYTES) return "is smaller than 32M";
      if (bytes > MAX_ROOTFS_BYTES) return "is larger than 64G";
      return undefined;
    },
  ],
};

/** A Buildroot package name such as htop or python-psutil. */
export const PACKAGE_NAME: Grammar = {
  describe: "a Buildroot package name from lower-case letters, digits, '.', '_' and '-', e.g. htop",
  alphabet: /[a-z0-9._-]/,
  maxLength: 64,
  rules: [(value) => (/^[a-z0-9]/.test(value) ? undefined : "must start with a letter or digit")],
};

/**
 * Where Buildroot is cloned from: an https/http/git/ssh URL, a file:// URL or
 * an absolute path (a local mirror). Other schemes are refused: git's `ext::`
 * transport runs a command, and a value starting with "-" would be an option
 * of `git clone`.
 */
export const GIT_REPOSITORY: Grammar = {
  describe:
    "a git URL (https://, http://, git://, ssh:// or file:///) or an absolute path to a local mirror, from letters, digits and ._/:@+~-",
  alphabet: /[A-Za-z0-9._/:@+~-]/,
  maxLength: 300,
  rules: [
    (value) =>
      /^(https?:\/\/[A-Za-z0-9]|git:\/\/[A-Za-z0-9]|ssh:\/\/[A-Za-z0-9]|file:\/\/\/|\/)/.test(value)
        ? undefined
        : "must start with https://, http://, git://, ssh://, file:/// or /",
    // docker mode mounts a local mirror with `-v <path>:/br/upstream:ro`, where a ':' would split the path.
    (value) =>
      /^(\/|file:\/\/\/)/.test(value) && value.replace(/^file:\/\//, "").includes(":")
        ? "a local mirror's path must not contain ':' (docker mounts it as path:/br/upstream)"
        : undefined,
    noDotDot,
  ],
};

/**
 * A Docker image reference (the build image's base): [registry/]name[:tag][@sha256:digest].
 * It reaches `docker build --build-arg BASE=...` as one argument, never through a shell.
 */
export const IMAGE_REFERENCE: Grammar = {
  describe:
    "a Docker image reference such as debian:bookworm-slim or registry.example.com/debian@sha256:<64 hex digits>, from letters, digits and ._/:@-",
  alphabet: /[A-Za-z0-9._/:@-]/,
  maxLength: 255,
  rules: [
    (value) =>
      /^[a-z0-9][a-z0-9._-]*(:[0-9]{1,5})?(\/[a-z0-9][a-z0-9._-]*)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[0-9a-f]{64})?$/.test(
        value,
      )
        ? undefined
        : "is not a Docker image reference (lower-case name components, an optional :tag and @sha256: digest)",
  ],
};

/** A DNS name or an IPv4 address: labels of letters, digits and '-', not starting or ending with '-'. */
const HOST_NAME = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*";
const PORT = "(?:[1-9][0-9]{0,4})";
const SSH_ENDPOINT = new RegExp(`^ssh://(?:[a-z_][a-z0-9_-]{0,31}@)?${HOST_NAME}(?::${PORT})?$`);
const TCP_ENDPOINT = new RegExp(`^tcp://${HOST_NAME}:${PORT}$`);

/**
 * A remote Docker engine (br-criu:buildHost): `ssh://[user@]host[:port]` or
 * `tcp://host:port`. It reaches `docker -H <value>` as one argument; a value
 * starting with "-" would be an option, and a path or query in the URL
 * would name something other than the engine (docker's ssh helper passes
 * the rest of the URL to ssh).
 */
export const DOCKER_ENDPOINT: Grammar = {
  describe:
    "a Docker engine address, ssh://[user@]host[:port] or tcp://host:port, e.g. ssh://builder@build-1.example.com",
  alphabet: /[A-Za-z0-9._:@/-]/,
  maxLength: 200,
  rules: [
    noLeadingDash,
    (value) => (/^(ssh|tcp):\/\//.test(value) ? undefined : "must start with ssh:// or tcp://"),
    (value) =>
      value.replace(/^[a-z]+:\/\//, "").includes("/")
        ? "must not carry a path: name the engine's host (and port) only"
        : undefined,
    (value) => {
      const port = /:([0-9]+)$/.exec(value.replace(/^[a-z]+:\/\//, ""))?.[1];
      return port !== undefined && Number(port) > 65535 ? `port ${port} is above 65535` : undefined;
    },
    (value) =>
      value.startsWith("tcp://") && !/:[0-9]+$/.test(value)
        ? "a tcp:// engine needs its port, e.g. tcp://build-1.example.com:2376"
        : undefined,
    (value) =>
      SSH_ENDPOINT.test(value) || TCP_ENDPOINT.test(value)
        ? undefined
        : "is not ssh://[user@]host[:port] or tcp://host:port (a user of lower-case letters, digits, '_' and '-'; a DNS name or IPv4 address)",
  ],
};

/** An http(s) URL of a Debian archive (the build image's package source). */
export const ARCHIVE_URL: Grammar = {
  describe: "an http:// or https:// URL from letters, digits and ._/:~%+-, e.g. http://deb.debian.org/debian",
  alphabet: /[A-Za-z0-9._/:~%+-]/,
  maxLength: 300,
  rules: [
    (value) =>
      /^https?:\/\/[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?(\/[A-Za-z0-9._~%+-]*)*$/.test(value)
        ? undefined
        : "must be http:// or https://, a host, and a path",
    noDotDot,
  ],
};

/** A Kconfig symbol without its CONFIG_ prefix, as br-criu:kernelConfig keys are written. */
export const KCONFIG_SYMBOL = /^[A-Z0-9][A-Z0-9_]{0,63}$/;

/** A kernel option value as Kconfig writes it: a tristate, a number, a hex number or a quoted string. */
export type KernelConfigValue =
  | { readonly kind: "tristate"; readonly value: "y" | "m" | "n" }
  | { readonly kind: "int" | "hex" | "string"; readonly value: string };

/** What a quoted kernel string value may hold (the kernel's make includes auto.conf: no $, no quotes). */
const KERNEL_STRING = /^[A-Za-z0-9 _./:=,+@%-]{0,200}$/;

/**
 * A br-criu:kernelConfig value: y, m or n; an integer; a 0x hex number; or a
 * string in double quotes (`pulumi config set --path 'br-criu:kernelConfig.CMDLINE' '"console=ttyS0"'`).
 * Numbers may arrive as YAML numbers or as text.
 */
export function parseKernelConfigValue(raw: unknown): KernelConfigValue | GrammarViolation {
  const fix =
    'write y, m, n, a whole number, a 0x hex number, or a string in double quotes from letters, digits, spaces and _./:=,+@%-, e.g. "console=ttyS0"';
  const value = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
  if (typeof value !== "string") return { message: `expected text or a whole number, got ${typeof raw}`, fix };
  if (value === "y" || value === "m" || value === "n") return { kind: "tristate", value };
  if (/^-?[0-9]{1,19}$/.test(value)) return { kind: "int", value };
  if (/^0x[0-9a-fA-F]{1,16}$/.test(value)) return { kind: "hex", value };
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"') && KERNEL_STRING.test(value.slice(1, -1)))
    return { kind: "string", value: value.slice(1, -1) };
  const bad = [...value].findIndex((character) => !/[A-Za-z0-9 _./:=,+@%"-]/.test(character));
  const where = bad === -1 ? "" : ` (character ${codePoint([...value][bad]!)} at position ${bad + 1})`;
  return {
    message: `${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value)} is not a kernel option value${where}`,
    fix,
  };
}

/**
 * A table entry by a key that comes from a stack: own entries only, so that
 * "constructor" or "__proto__" finds nothing instead of Object.prototype's members.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
