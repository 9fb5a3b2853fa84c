/**
 * A stand-in for Buildroot: a git repository with a Makefile that has the
 * make targets of br-criu's stage table (`<name>_defconfig`, toolchain,
 * linux-reconfigure, linux-rebuild, target-finalize, all) and behaves like
 * Buildroot where br-criu is concerned: it checks the host tools first (the
 * list Buildroot's dependency check requires, planner's
 * BUILDROOT_HOST_TOOLS), reads the defconfig from BR2_EXTERNAL and the
 * resolved .config back, compiles with the host's gcc and g++,
 * "downloads" into BR2_DL_DIR once and reuses it, keeps a compiler cache
 * in BR2_CCACHE_DIR, merges the kernel fragments the defconfig names,
 * copies the rootfs overlays, runs the post-image script with Buildroot's
 * arguments, and writes images reproducibly (sorted, fixed times and
 * owners) unless asked to embed a timestamp. Its progress lines start with
 * ">>>" as Buildroot's do, and it appends every target it is asked for to
 * targets.log in its tree.
 *
 * With a payload it builds a system that boots: the payload's kernel (the
 * runtime tier's test kernel, with its .config) is "built", and the root
 * filesystem holds the payload's files (busybox, CRIU 4.2.1 and its
 * libraries) with a Buildroot-like init (busybox init, inittab, rcS running
 * /etc/init.d/S??*), so the board's start-qemu.sh boots the images and the
 * overlay's S99criu-acceptance runs.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hostToolsCheck } from "@br-criu/planner";

export interface StandInRelease {
  /** Tag of the release commit. */
  readonly tag: string;
  readonly commit: string;
}

export interface StandInBuildroot {
  /** The repository (clone it from this path). */
  readonly dir: string;
  /** Reproducible release. */
  readonly release: StandInRelease;
  /** A later commit whose image embeds the build time. */
  readonly timestamped: StandInRelease;
  /** Unique per stand-in: names its download and cache entries, so reuse is observable on long-lived volumes. */
  readonly token: string;
}

/** What a bootable stand-in builds from. */
export interface BootPayload {
  /** The kernel's boot image (bzImage) and its resolved .config. */
  readonly kernel: string;
  readonly kernelConfig: string;
  /** The kernel's boot image inside its build tree, e.g. arch/x86/boot/bzImage (the arch table's). */
  readonly kernelBuildImage: string;
  /** Files of the root filesystem (busybox, criu, libraries). */
  readonly files: readonly { readonly from: string; readonly to: string; readonly mode: number }[];
}

/** The file a test creates in the checkout to make linux-rebuild take two minutes (to interrupt it). */
export const SLOW_KERNEL_MARKER = "slow-kernel";
/** With this file in the stand-in's tree, linux-rebuild prints 60 numbered lines and fails, as a compile error would. */
export const FAILING_KERNEL_MARKER = "failing-kernel";
/** Where the stand-in logs the targets it was asked for, in its tree. */
export const TARGETS_LOG = "targets.log";

const MAKEFILE = (
  token: string,
  embedTimestamp: boolean,
  kernelBuildImage: string,
) => `# Stand-in Buildroot for br-criu's tests (see tests/support/standin-buildroot.ts).
TOKEN := ${token}
SOURCE := $(BR2_DL_DIR)/standin/linux-$(TOKEN).tar
CACHE := $(BR2_CCACHE_DIR)/standin-$(TOKEN)
REPRODUCIBLE_TAR := tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner
BR2_EXTERNAL_BR_CRIU_PATH := $(BR2_EXTERNAL)
qstrip = $(strip $(subst ",,$(1)))
-include $(O)/.config
KVERSION := $(call qstrip,$(BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE))
LINUX := $(O)/build/linux-$(KVERSION)
KERNEL_IMAGE := ${kernelBuildImage}
log-target = echo '$@' >> $(CURDIR)/${TARGETS_LOG}
# Buildroot's skeleton has them; git keeps no empty directory in the payload.
SKELETON_DIRS := proc sys dev tmp run sbin

.PHONY: dependencies toolchain linux-reconfigure linux-rebuild target-finalize all

dependencies:
\t@sh support/dependencies/dependencies.sh

%_defconfig: dependencies
\t@$(log-target)
\t@test -f $(BR2_EXTERNAL)/configs/$@ || { echo "no $@ in $(BR2_EXTERNAL)/configs" >&2; exit 1; }
\t@mkdir -p $(O)
\t@cp $(BR2_EXTERNAL)/configs/$@ $(O)/.config
\t@echo ">>> defconfig $@ from BR2_EXTERNAL"

toolchain: dependencies
\t@$(log-target)
\t@mkdir -p $(O)/host/bin
\t@printf 'int main(void) { return 0; }\\n' > $(O)/host/hello.c
\t@gcc -o $(O)/host/bin/hello-c $(O)/host/hello.c
\t@g++ -x c++ -o $(O)/host/bin/hello-cxx $(O)/host/hello.c
\t@echo ">>> toolchain gcc and g++ work"

linux-reconfigure: dependencies
\t@$(log-target)
\t@test -f $(O)/.config
\t@mkdir -p $(LINUX)
\t@printf 'mainmenu "stand-in kernel"\\n' > $(LINUX)/Kconfig
\t@echo "$(KVERSION)" | awk -F. '{ printf "VERSION = %s\\nPATCHLEVEL = %s\\nSUBLEVEL = %s\\n", $$1, $$2, $$3 }' > $(LINUX)/Makefile
\t@cat payload/kernel.config $(call qstrip,$(BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES)) > $(LINUX)/.config
\t@echo ">>> linux configure with $(words $(call qstrip,$(BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES))) fragment(s)"

$(SOURCE):
\t@mkdir -p $(dir $@)
\t@$(REPRODUCIBLE_TAR) -cf $@.partial -C $(CURDIR) kernel-src
\t@mv $@.partial $@
\t@echo ">>> linux $(TOKEN) Downloading"

linux-rebuild: dependencies $(SOURCE)
\t@$(log-target)
\t@if [ -f $(CURDIR)/${SLOW_KERNEL_MARKER} ]; then echo ">>> linux slow build"; sleep 120; fi
\t@if [ -f $(CURDIR)/${FAILING_KERNEL_MARKER} ]; then for i in $$(seq 1 60); do echo "stand-in compiler line $$i"; done; exit 1; fi
\t@echo ">>> linux $(TOKEN) Extracting from $(SOURCE)"
\t@rm -rf $(LINUX)/src && mkdir -p $(LINUX)/src
\t@tar -xf $(SOURCE) -C $(LINUX)/src
\t@if [ -f $(CACHE) ]; then echo ">>> linux $(TOKEN) ccache hit"; else mkdir -p $(dir $(CACHE)) && echo compiled > $(CACHE) && echo ">>> linux $(TOKEN) ccache miss"; fi
\t@mkdir -p $(dir $(LINUX)/$(KERNEL_IMAGE))
\t@if [ -f payload/kernel ]; then cp payload/kernel $(LINUX)/$(KERNEL_IMAGE); else gcc -O2 -o $(LINUX)/$(KERNEL_IMAGE) $(LINUX)/src/kernel-src/kernel.c; fi
\t@echo ">>> linux $(TOKEN) Building"

target-finalize: dependencies
\t@$(log-target)
\t@rm -rf $(O)/target && mkdir -p $(O)/target/etc $(O)/target/usr/bin $(addprefix $(O)/target/,$(SKELETON_DIRS))
\t@grep '^BR2_TARGET_GENERIC_HOSTNAME=' $(O)/.config > $(O)/target/etc/br2-hostname
\t@cp $(O)/host/bin/hello-c $(O)/target/usr/bin/hello
\t@if [ -d payload/rootfs ]; then cp -a payload/rootfs/. $(O)/target/; fi
\t@for overlay in $(call qstrip,$(BR2_ROOTFS_OVERLAY)); do cp -a $$overlay/. $(O)/target/; done
\t@echo ">>> rootfs target-finalize"

all: dependencies
\t@$(log-target)
\t@mkdir -p $(O)/images
\t@cp $(LINUX)/$(KERNEL_IMAGE) $(O)/images/$(notdir $(KERNEL_IMAGE))
\t@$(REPRODUCIBLE_TAR) -cf $(O)/images/rootfs.tar -C $(O)/target .
\t@find $(O)/target -exec touch -h -d @0 {} +
\t@cd $(O)/target && find . | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible -R 0:0 > $(O)/images/rootfs.cpio
${embedTimestamp ? "\t@date +%s%N > $(O)/images/build-time\n" : ""}\t@BINARIES_DIR=$(O)/images BR2_EXTERNAL_BR_CRIU_PATH=$(BR2_EXTERNAL) sh $(call qstrip,$(BR2_ROOTFS_POST_IMAGE_SCRIPT)) $(O)/images $(call qstrip,$(BR2_ROOTFS_POST_SCRIPT_ARGS))
\t@echo ">>> images written"
.DEFAULT_GOAL := all
`;

/** Buildroot's initramfs init (fs/cpio/init) and a busybox init that runs /etc/init.d/S??* as Buildroot's rcS does. */
const INIT_FILES: Readonly<Record<string, string>> = {
  init: `#!/bin/busybox sh
/bin/busybox --install -s /bin
/bin/mount -t devtmpfs devtmpfs /dev
exec 0</dev/console
exec 1>/dev/console
exec 2>/dev/console
exec /sbin/init "$@"
`,
  "etc/inittab": `::sysinit:/bin/mount -t proc proc /proc
::sysinit:/bin/mount -t sysfs sysfs /sys
::sysinit:/bin/mkdir -p /dev/pts
::sysinit:/bin/mount -t devpts devpts /dev/pts
::sysinit:/bin/mount -t tmpfs tmpfs /tmp
::sysinit:/etc/init.d/rcS
`,
  "etc/init.d/rcS": `#!/bin/sh
for script in /etc/init.d/S??*; do
	[ -x "$script" ] && "$script" start
done
`,
  "etc/passwd": "root:x:0:0:root:/:/bin/sh\n",
};

/** Writes the payload into the stand-in's tree (committed with it, so the container sees it in the checkout). */
function writePayload(dir: string, payload: BootPayload | undefined): void {
  mkdirSync(join(dir, "payload"), { recursive: true });
  if (!payload) {
    writeFileSync(join(dir, "payload/kernel.config"), "");
    return;
  }
  copyFileSync(payload.kernel, join(dir, "payload/kernel"));
  writeFileSync(join(dir, "payload/kernel.config"), payload.kernelConfig);
  const rootfs = join(dir, "payload/rootfs");
  for (const file of payload.files) {
    mkdirSync(join(rootfs, dirname(file.to)), { recursive: true });
    copyFileSync(file.from, join(rootfs, file.to));
    chmodSync(join(rootfs, file.to), file.mode);
  }
  for (const [path, content] of Object.entries(INIT_FILES)) {
    mkdirSync(join(rootfs, dirname(path)), { recursive: true });
    writeFileSync(join(rootfs, path), content, { mode: path === "init" || path.endsWith("rcS") ? 0o755 : 0o644 });
  }
  mkdirSync(join(rootfs, "sbin"), { recursive: true });
  symlinkSync("../bin/busybox", join(rootfs, "sbin/init"));
}

/** Creates the stand-in repository under `dir` (which must be empty or missing). */
export function createStandInBuildroot(dir: string, token: string, payload?: BootPayload): StandInBuildroot {
  mkdirSync(join(dir, "support/dependencies"), { recursive: true });
  mkdirSync(join(dir, "kernel-src"), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync(
      "git",
      ["-c", "user.name=br-criu", "-c", "user.email=br-criu@localhost", "-c", "init.defaultBranch=main", ...args],
      { cwd: dir, encoding: "utf8" },
    ).trim();
  const dependencyCheck = join(dir, "support/dependencies/dependencies.sh");
  writeFileSync(dependencyCheck, `${hostToolsCheck("Buildroot (stand-in)")}\n`);
  chmodSync(dependencyCheck, 0o755);
  writeFileSync(join(dir, "kernel-src/kernel.c"), "int main(void) { return 42; }\n");
  writeFileSync(join(dir, ".gitignore"), `${TARGETS_LOG}\n${SLOW_KERNEL_MARKER}\n${FAILING_KERNEL_MARKER}\n`);
  writePayload(dir, payload);
  const kernelBuildImage = payload?.kernelBuildImage ?? "arch/x86/boot/bzImage";
  const commit = (tag: string, embedTimestamp: boolean): StandInRelease => {
    writeFileSync(join(dir, "Makefile"), MAKEFILE(token, embedTimestamp, kernelBuildImage));
    git("add", "-A");
    git("commit", "-q", "-m", tag);
    git("tag", tag);
    return { tag, commit: git("rev-parse", "HEAD") };
  };
  git("init", "-q");
  const release = commit("2026.02.3", false);
  const timestamped = commit("2026.02.3-timestamped", true);
  return { dir, release, timestamped, token };
}
