/**
 * How each board boots under QEMU: the command line, and the start-qemu.sh
 * that the post-image step puts next to the images. The same invocation is
 * what boot tests use.
 */
import type { QemuDisk, QemuNic, QemuRng, ResolvedBoard } from "@br-criu/model";
import { generatedHeader, type RenderedFile } from "./generated-file";
import { startQemuPath } from "./layout";
import { shellQuote } from "./writers";

export interface QemuInvocation {
  readonly binary: string;
  /** Arguments, with image files relative to the images directory. */
  readonly args: readonly string[];
}

/** The -drive (and -device) arguments of each kind of root disk, and the root= the kernel mounts. */
const DISKS: Readonly<Record<QemuDisk, { readonly args: readonly string[]; readonly root: string }>> = {
  "virtio-pci": { args: ["-drive", "file=rootfs.ext2,if=virtio,format=raw"], root: "/dev/vda" },
  "virtio-mmio": {
    args: ["-drive", "file=rootfs.ext2,if=none,format=raw,id=hd0", "-device", "virtio-blk-device,drive=hd0"],
    root: "/dev/vda",
  },
  // The SD card slot (the image size must be a power of two).
  "sd-card": { args: ["-drive", "file=rootfs.ext2,if=sd,format=raw"], root: "/dev/mmcblk0" },
  scsi: { args: ["-drive", "file=rootfs.ext2,if=scsi,index=0,format=raw"], root: "/dev/sda" },
};

/** The network arguments of each kind of network device (user-mode networking). */
const NICS: Readonly<Record<QemuNic, readonly string[]>> = {
  "virtio-net-pci": ["-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0"],
  "virtio-net-mmio": ["-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"],
  lan9118: ["-net", "nic,model=lan9118", "-net", "user"],
  "spapr-vlan": ["-netdev", "user,id=net0", "-device", "spapr-vlan,netdev=net0"],
};

/** The -device of each kind of RNG (its backend is QEMU's default, the host's /dev/urandom). */
const RNGS: Readonly<Record<QemuRng, readonly string[]>> = {
  "virtio-rng-pci": ["-device", "virtio-rng-pci"],
  "virtio-rng-mmio": ["-device", "virtio-rng-device"],
};

function cpuArguments(board: ResolvedBoard): string[] {
  switch (board.arch.qemu.cpuArgument) {
    case "none":
      return [];
    case "as-named":
      return ["-cpu", board.cpu.name];
    case "upper-case":
      return ["-cpu", board.cpu.name.toUpperCase()];
  }
}

/** Root filesystem on a disk image when the stack builds ext4, else the cpio as initramfs. */
export function qemuInvocation(board: ResolvedBoard): QemuInvocation {
  const { qemu } = board.arch;
  const disk = board.config.rootfsFormats.includes("ext4") ? DISKS[qemu.disk] : undefined;
  const machine = qemu.machineOptions ? `${board.qemuMachine},${qemu.machineOptions}` : board.qemuMachine;
  const args: string[] = ["-M", machine, "-m", "512", "-smp", "1", "-nographic", ...cpuArguments(board)];
  if (board.arch.firmware) args.push("-bios", board.arch.firmware.file);
  args.push("-kernel", board.kernel.imageFile);
  if (board.kernel.dts) args.push("-dtb", `${board.kernel.dts.split("/").pop()}.dtb`);
  if (disk) args.push(...disk.args);
  else args.push("-initrd", "rootfs.cpio");
  const console = `console=${qemu.console}`;
  args.push("-append", [console, ...(disk ? ["rootwait", `root=${disk.root}`] : [])].join(" "));
  args.push(...NICS[qemu.nic], ...RNGS[qemu.rng]);
  return { binary: qemu.binary, args };
}

export function renderStartQemu(board: ResolvedBoard, source: string): string {
  const { binary, args } = qemuInvocation(board);
  const pairs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const option = args[i]!;
    const value = args[i + 1];
    if (value !== undefined && !value.startsWith("-")) {
      pairs.push(`${shellQuote(option)} ${shellQuote(value)}`);
      i++;
    } else {
      pairs.push(shellQuote(option));
    }
  }
  return [
    "#!/bin/sh",
    ...generatedHeader(`Boots ${board.config.board} (${board.config.description}) under QEMU.`, source),
    "# Extra QEMU arguments are passed through; QEMU comes from PATH unless",
    "# Buildroot built host-qemu (../host/bin).",
    "",
    'cd "$(dirname "$0")" || exit 1',
    `if [ -x ../host/bin/${binary} ]; then`,
    `\tQEMU=../host/bin/${binary}`,
    "else",
    `\tQEMU=${binary}`,
    "fi",
    "",
    'exec "${QEMU}" \\',
    ...pairs.map((pair) => `\t${pair} \\`),
    '\t"$@"',
    "",
  ].join("\n");
}

export function startQemuFile(board: ResolvedBoard, source: string): RenderedFile {
  return { path: startQemuPath(board.config.board), content: renderStartQemu(board, source), mode: 0o755 };
}
