/**
 * A stand-in for Buildroot: a git repository with a Makefile that has the
 * targets stage.sh runs (`<name>_defconfig`, toolchain, linux-reconfigure,
 * linux-rebuild, target-finalize, all) and behaves like Buildroot where the
 * build environment is concerned: it checks the host tools first (the list
 * Buildroot's dependency check requires, planner's BUILDROOT_HOST_TOOLS),
 * reads the defconfig from BR2_EXTERNAL, compiles with the host's gcc and
 * g++, "downloads" into BR2_DL_DIR once and reuses it, keeps a compiler cache
 * in BR2_CCACHE_DIR, and writes images reproducibly (sorted, fixed times
 * and owners) unless asked to embed a timestamp. Its progress lines start
 * with ">>>" as Buildroot's do.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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

const MAKEFILE = (
  token: string,
  embedTimestamp: boolean,
) => `# Stand-in Buildroot for br-criu's tests (see tests/support/standin-buildroot.ts).
TOKEN := ${token}
SOURCE := $(BR2_DL_DIR)/standin/linux-$(TOKEN).tar
CACHE := $(BR2_CCACHE_DIR)/standin-$(TOKEN)
REPRODUCIBLE_TAR := tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner

.PHONY: dependencies toolchain linux-reconfigure linux-rebuild target-finalize all

dependencies:
\t@sh support/dependencies/dependencies.sh

%_defconfig: dependencies
\t@test -f $(BR2_EXTERNAL)/configs/$@ || { echo "no $@ in $(BR2_EXTERNAL)/configs" >&2; exit 1; }
\t@mkdir -p $(O)
\t@cp $(BR2_EXTERNAL)/configs/$@ $(O)/.config
\t@echo ">>> defconfig $@ from BR2_EXTERNAL"

toolchain: dependencies
\t@mkdir -p $(O)/host/bin
\t@printf 'int main(void) { return 0; }\\n' > $(O)/host/hello.c
\t@gcc -o $(O)/host/bin/hello-c $(O)/host/hello.c
\t@g++ -x c++ -o $(O)/host/bin/hello-cxx $(O)/host/hello.c
\t@echo ">>> toolchain gcc and g++ work"

linux-reconfigure: dependencies
\t@test -f $(O)/.config
\t@echo ">>> linux configure"

$(SOURCE):
\t@mkdir -p $(dir $@)
\t@$(REPRODUCIBLE_TAR) -cf $@.partial -C $(CURDIR) kernel-src
\t@mv $@.partial $@
\t@echo ">>> linux $(TOKEN) Downloading"

linux-rebuild: dependencies $(SOURCE)
\t@echo ">>> linux $(TOKEN) Extracting from $(SOURCE)"
\t@rm -rf $(O)/build/linux && mkdir -p $(O)/build/linux
\t@tar -xf $(SOURCE) -C $(O)/build/linux
\t@if [ -f $(CACHE) ]; then echo ">>> linux $(TOKEN) ccache hit"; else mkdir -p $(dir $(CACHE)) && echo compiled > $(CACHE) && echo ">>> linux $(TOKEN) ccache miss"; fi
\t@gcc -O2 -o $(O)/build/linux/vmlinux $(O)/build/linux/kernel-src/kernel.c
\t@echo ">>> linux $(TOKEN) Building"

target-finalize: dependencies
\t@rm -rf $(O)/target && mkdir -p $(O)/target/etc $(O)/target/usr/bin
\t@grep '^BR2_TARGET_GENERIC_HOSTNAME=' $(O)/.config > $(O)/target/etc/br2-hostname
\t@cp $(O)/host/bin/hello-c $(O)/target/usr/bin/hello
\t@echo ">>> rootfs target-finalize"

all: dependencies
\t@mkdir -p $(O)/images
\t@cp $(O)/build/linux/vmlinux $(O)/images/vmlinux
\t@$(REPRODUCIBLE_TAR) -cf $(O)/images/rootfs.tar -C $(O)/target .
\t@find $(O)/target -exec touch -h -d @0 {} +
\t@cd $(O)/target && find . | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible > $(O)/images/rootfs.cpio
${embedTimestamp ? "\t@date +%s%N > $(O)/images/build-time\n" : ""}\t@echo ">>> images written"
.DEFAULT_GOAL := all
`;

/** Creates the stand-in repository under `dir` (which must be empty or missing). */
export function createStandInBuildroot(dir: string, token: string): StandInBuildroot {
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
  const commit = (tag: string, embedTimestamp: boolean): StandInRelease => {
    writeFileSync(join(dir, "Makefile"), MAKEFILE(token, embedTimestamp));
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
