/**
 * How each board boots under QEMU: the command line, and the start-qemu.sh
 * that the post-image step puts next to the images. The same invocation is
 * what boot tests use.
 */
import type { ResolvedBoard } from "@br-criu/model";
import { generatedHeader, type RenderedFile } from "./generated-file";
import { shellQuote } from "./writers";

export interface QemuInvocation {
  readonly binary: string;
  /** Arguments, with image files relative to the images directory. */
  readonly args: readonly string[];
}

const QEMU_BINARY: Readonly<Record<string, string>> = {
  x86_64: "qemu-system-x86_64",
  aarch64: "qemu-system-aarch64",
  arm: "qemu-system-arm",
  powerpc64le: "qemu-system-ppc64",
  riscv64: "qemu-system-riscv64",
};

/**
 * pseries options: x-vof=on boots through QEMU's small Virtual Open Firmware
 * instead of SLOF; cap-hpt-max-page-size=16M offers 16 MiB pages, without
 * which QEMU's POWER8 under TCG advertises only 4K and 64K pages and the
 * kernel disables hugetlbfs ("no supported hugepage sizes"; CRIU's
 * memfd_hugetlb check then fails, found by the ppc64le runtime test).
 */
const PSERIES_OPTIONS = "x-vof=on,cap-hpt-max-page-size=16M";

/** Root filesystem on a disk image when the stack builds ext4, else the cpio as initramfs. */
export function qemuInvocation(board: ResolvedBoard): QemuInvocation {
  const { arch, qemuMachine } = board;
  const disk = board.config.rootfsFormats.includes("ext4");
  const console = `console=${arch.console}`;
  const args: string[] = [
    "-M",
    arch.name === "powerpc64le" ? `${qemuMachine},${PSERIES_OPTIONS}` : qemuMachine,
    "-m",
    "512",
    "-smp",
    "1",
    "-nographic",
  ];
  if (arch.name === "aarch64") args.push("-cpu", board.cpu.name);
  if (arch.name === "powerpc64le") args.push("-cpu", board.cpu.name.toUpperCase());
  if (arch.name === "riscv64") args.push("-bios", "fw_jump.bin");
  args.push("-kernel", board.kernel.imageFile);
  if (board.kernel.dts) args.push("-dtb", `${board.kernel.dts.split("/").pop()}.dtb`);

  let root = "";
  if (disk) {
    switch (arch.name) {
      case "arm":
        // vexpress has no virtio-blk: the SD card slot (the image size must be a power of two).
        args.push("-drive", "file=rootfs.ext2,if=sd,format=raw");
        root = "root=/dev/mmcblk0";
        break;
      case "powerpc64le":
        args.push("-drive", "file=rootfs.ext2,if=scsi,index=0,format=raw");
        root = "root=/dev/sda";
        break;
      case "x86_64":
        args.push("-drive", "file=rootfs.ext2,if=virtio,format=raw");
        root = "root=/dev/vda";
        break;
      default:
        args.push("-drive", "file=rootfs.ext2,if=none,format=raw,id=hd0", "-device", "virtio-blk-device,drive=hd0");
        root = "root=/dev/vda";
    }
  } else {
    args.push("-initrd", "rootfs.cpio");
  }
  args.push("-append", [console, ...(disk ? ["rootwait", root] : [])].join(" "));
  switch (arch.name) {
    case "arm":
      args.push("-net", "nic,model=lan9118", "-net", "user");
      break;
    case "x86_64":
      args.push("-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0");
      break;
    case "powerpc64le":
      args.push("-netdev", "user,id=net0", "-device", "spapr-vlan,netdev=net0");
      break;
    default:
      args.push("-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0");
  }
  return { binary: QEMU_BINARY[arch.name]!, args };
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
  return { path: `board/${board.config.board}/start-qemu.sh`, content: renderStartQemu(board, source), mode: 0o755 };
}
