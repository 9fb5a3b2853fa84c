/**
 * The test system: busybox-static, criu (the package tier's build of the
 * packaged release, or a sysroot's) with the shared libraries its dynamic
 * loader says it needs, the acceptance script, and an
 * init that mounts what CRIU needs, runs the script and reboots (QEMU's
 * -no-reboot then exits). Packed as a newc cpio with fixed timestamps.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  closeSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ACCEPTANCE_SCRIPT } from "@br-criu/generators";
import { BOOTED_LINE } from "./results";
import { HOST_SYSROOT, resolveInSysroot, type Sysroot } from "./sysroot";
import { TEST_SYSTEM_LAYOUT } from "./test-system-layout";

export interface InitramfsOptions {
  readonly outFile: string;
  /** criu-acceptance, from the BR2_EXTERNAL rootfs overlay. */
  readonly acceptanceScript: string;
  /** Where busybox (and criu, unless `criu` is given) and their libraries come from (the build machine by default). */
  readonly sysroot?: Sysroot;
  /** A criu built elsewhere (the package tier's build), with the sysroot holding its libraries. */
  readonly criu?: { readonly binary: string; readonly sysroot: Sysroot };
  /** Names for `criu check --feature`, reported by the acceptance script (TEST_SYSTEM_LAYOUT.criuCheckFeatures). */
  readonly criuCheckFeatures?: readonly string[];
  /** More of the test system (ZDTM's): files, directories with their modes, and written text files. */
  readonly extra?: TestSystemExtra;
}

export interface TestSystemExtra {
  readonly files: readonly SystemFile[];
  readonly directories: readonly { readonly path: string; readonly mode: number }[];
  readonly texts: readonly { readonly to: string; readonly content: string }[];
}

/** Where the fields that lead to PT_INTERP are, in 32-bit and 64-bit ELF (little-endian). */
const ELF_LAYOUT = {
  1: {
    phoff: (h: Buffer) => h.readUInt32LE(28),
    phentsize: 42,
    phnum: 44,
    offset: (e: Buffer) => e.readUInt32LE(4),
    size: (e: Buffer) => e.readUInt32LE(16),
  },
  2: {
    phoff: (h: Buffer) => Number(h.readBigUInt64LE(32)),
    phentsize: 54,
    phnum: 56,
    offset: (e: Buffer) => Number(e.readBigUInt64LE(8)),
    size: (e: Buffer) => Number(e.readBigUInt64LE(32)),
  },
} as const;

/** The ELF program interpreter (PT_INTERP) of a little-endian executable (armhf's are 32-bit). */
export function elfInterpreter(path: string): string {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    const elfClass = header[4];
    if (header.readUInt32BE(0) !== 0x7f454c46 || (elfClass !== 1 && elfClass !== 2) || header[5] !== 1)
      throw new Error(`${path} is not a little-endian ELF file`);
    const layout = ELF_LAYOUT[elfClass];
    const phentsize = header.readUInt16LE(layout.phentsize);
    const entry = Buffer.alloc(phentsize);
    for (let i = 0; i < header.readUInt16LE(layout.phnum); i++) {
      readSync(fd, entry, 0, phentsize, layout.phoff(header) + i * phentsize);
      if (entry.readUInt32LE(0) !== 3) continue; // PT_INTERP
      const text = Buffer.alloc(layout.size(entry));
      readSync(fd, text, 0, text.length, layout.offset(entry));
      return text.toString("utf8").replace(/\0+$/, "");
    }
    throw new Error(`${path} has no program interpreter: it is static`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Shared libraries of an executable (a path inside the sysroot, or `onDisk`
 * for one built elsewhere), as the sysroot's dynamic loader lists them
 * (`ld.so --list`, under qemu-user for a foreign sysroot). Paths are inside
 * the sysroot.
 */
export function sharedLibraries(
  executable: string,
  sysroot: Sysroot = HOST_SYSROOT,
  onDisk: string = resolveInSysroot(sysroot.dir, executable),
): string[] {
  const interpreter = elfInterpreter(onDisk);
  const loader = resolveInSysroot(sysroot.dir, interpreter);
  const [command, ...prefix] = [...(sysroot.emulator ?? []), loader];
  const listing = execFileSync(command, [...prefix, "--list", onDisk], { encoding: "utf8" });
  const libraries = new Set<string>([interpreter]);
  const inside = (path: string) =>
    sysroot.dir !== "/" && path.startsWith(`${sysroot.dir}/`) ? path.slice(sysroot.dir.length) : path;
  for (const line of listing.split("\n")) {
    const match = /=>\s+(\/\S+)\s+\(/.exec(line);
    if (match) libraries.add(inside(match[1]!));
  }
  return [...libraries].sort();
}

/**
 * A library the loader listed, inside an unpacked sysroot. Under qemu-user a
 * path missing from the sysroot falls back to the build machine's, whose /lib
 * is /usr/lib (merged /usr): the unpacked packages keep /usr/lib separate.
 */
export function libraryInSysroot(sysroot: string, library: string): string {
  try {
    return resolveInSysroot(sysroot, library);
  } catch (error) {
    if (!library.startsWith("/lib/")) throw error;
    return resolveInSysroot(sysroot, `/usr${library}`);
  }
}

const { zdtmRunner, zdtmList, zdtmTests } = TEST_SYSTEM_LAYOUT;

/**
 * The test system's init. With ZDTM on board it first moves itself from the
 * initramfs to a tmpfs (switch_root): the ns-flavor programs pivot_root,
 * which the initramfs's rootfs refuses (EINVAL). Then it mounts what CRIU
 * needs, runs the acceptance script, the ZDTM runner, and waits to be stopped.
 */
const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
if [ -x /${zdtmRunner} ] && [ ! -e /.br-criu-tmpfs ]; then
	mkdir /newroot
	mount -t tmpfs -o mode=0755 root /newroot
	for entry in /*; do
		case "\${entry}" in /newroot | /proc | /sys | /dev) ;; *) cp -a "\${entry}" /newroot/ ;; esac
	done
	mkdir -p /newroot/proc /newroot/sys /newroot/dev
	touch /newroot/.br-criu-tmpfs
	exec switch_root /newroot /init
fi
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
echo ${BOOTED_LINE}
/${ACCEPTANCE_SCRIPT}
[ -x /${zdtmRunner} ] && /${zdtmRunner} /${zdtmList} /${zdtmTests}
# The host stops QEMU once it has read the last line; a reboot now would drop
# what the serial driver has not sent yet. Reboot only if nobody does.
sleep 60
reboot -f
`;

/** A file of the test system: where it comes from on the build machine, where it goes, its mode. */
export interface SystemFile {
  readonly from: string;
  readonly to: string;
  readonly mode: number;
}

/** busybox, criu and the shared libraries criu's dynamic loader says it needs, as files of a root filesystem. */
export function criuSystemFiles(options: Pick<InitramfsOptions, "sysroot" | "criu">): SystemFile[] {
  const sysroot = options.sysroot ?? HOST_SYSROOT;
  const fromSysroot = (path: string) => resolveInSysroot(sysroot.dir, path);
  const file = (from: string, to: string): SystemFile => ({ from, to, mode: 0o755 });
  const files = [file(fromSysroot("/bin/busybox"), "bin/busybox")];
  if (options.criu) {
    const { binary, sysroot: libraries } = options.criu;
    files.push(file(binary, "usr/sbin/criu"));
    for (const library of sharedLibraries("/usr/sbin/criu", libraries, binary))
      files.push(file(libraryInSysroot(libraries.dir, library), library.slice(1)));
  } else {
    files.push(file(fromSysroot("/usr/sbin/criu"), "usr/sbin/criu"));
    for (const library of sharedLibraries("/usr/sbin/criu", sysroot))
      files.push(file(fromSysroot(library), library.slice(1)));
  }
  return files;
}

export function buildInitramfs(options: InitramfsOptions): { files: string[] } {
  const root = mkdtempSync(join(tmpdir(), "br-criu-initramfs-"));
  try {
    for (const dir of [
      "bin",
      "sbin",
      "usr/bin",
      "usr/sbin",
      "proc",
      "sys",
      "dev",
      "tmp",
      "run",
      "etc",
      "usr/libexec/br-criu",
    ])
      mkdirSync(join(root, dir), { recursive: true });
    const place = ({ from, to, mode }: SystemFile) => {
      mkdirSync(join(root, dirname(to)), { recursive: true });
      copyFileSync(from, join(root, to));
      chmodSync(join(root, to), mode);
    };
    criuSystemFiles(options).forEach(place);
    place({ from: options.acceptanceScript, to: ACCEPTANCE_SCRIPT, mode: 0o755 });
    writeFileSync(join(root, "init"), INIT_SCRIPT, { mode: 0o755 });
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/:/bin/sh\n");
    const write = (to: string, content: string) => {
      mkdirSync(join(root, dirname(to)), { recursive: true });
      writeFileSync(join(root, to), content);
    };
    if (options.criuCheckFeatures?.length)
      write(TEST_SYSTEM_LAYOUT.criuCheckFeatures, `${options.criuCheckFeatures.join("\n")}\n`);
    const extra = options.extra;
    if (extra) {
      extra.files.forEach(place);
      for (const text of extra.texts) write(text.to, text.content);
      for (const { path, mode } of extra.directories) {
        mkdirSync(join(root, path), { recursive: true });
        chmodSync(join(root, path), mode);
      }
    }
    // Fixed timestamps and sorted entries: the same inputs give the same archive.
    execFileSync("find", [".", "-exec", "touch", "-h", "-d", "@0", "{}", "+"], { cwd: root });
    const list = execFileSync("find", ["."], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean).sort();
    const archive = execFileSync("cpio", ["--quiet", "-o", "-H", "newc", "--reproducible", "-R", "0:0"], {
      cwd: root,
      input: `${list.join("\n")}\n`,
      maxBuffer: 512 * 1024 * 1024,
    });
    mkdirSync(dirname(options.outFile), { recursive: true });
    writeFileSync(options.outFile, archive);
    return { files: list };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
