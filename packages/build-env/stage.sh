#!/usr/bin/env bash
# What a br-criu stage runs in the build container or, in host mode, on the
# build machine; which make targets each stage runs is br-criu's stage table
# (packages/planner/src/stage-table.ts). Make output goes to a log file;
# stdout carries Buildroot's progress lines (">>> package version step") so
# that Pulumi can stream them, and a failing make prints the end of its log.
#
# Environment: BR_CRIU_BUILDROOT (Buildroot checkout), BR_CRIU_EXTERNAL
# (BR2_EXTERNAL tree), BR_CRIU_OUTPUT (O= directory), BR2_DL_DIR and
# BR2_CCACHE_DIR (caches).
set -euo pipefail

usage() {
	cat >&2 <<'USAGE'
usage: br-criu-stage buildroot-tree URL TAG COMMIT
       br-criu-stage make LOG [TARGET...]      (LOG: a file below the output directory)
       br-criu-stage clean
       br-criu-stage image-manifest
       br-criu-stage manifest DIR
       br-criu-stage compare-manifests MANIFEST_A MANIFEST_B
USAGE
	exit 2
}

need() {
	local name
	for name in "$@"; do
		if [ -z "${!name:-}" ]; then
			echo "br-criu-stage: ${name} is not set" >&2
			exit 2
		fi
	done
}

# Runs make in the Buildroot tree, logging everything, streaming progress.
br_make() {
	local log="${BR_CRIU_OUTPUT}/$1"
	shift
	local status
	mkdir -p "$(dirname "${log}")"
	set +e
	make -C "${BR_CRIU_BUILDROOT}" O="${BR_CRIU_OUTPUT}" BR2_EXTERNAL="${BR_CRIU_EXTERNAL}" "$@" 2>&1 |
		tee -a "${log}" | { grep --line-buffered '^>>>' || true; }
	status="${PIPESTATUS[0]}"
	set -e
	if [ "${status}" -ne 0 ]; then
		echo "br-criu-stage: make $* failed; last 40 lines of ${log}:" >&2
		tail -n 40 "${log}" >&2
		exit 1
	fi
}

# sha256 manifest of the files in a directory, sorted, paths relative to it.
manifest() {
	local dir="$1"
	[ -d "${dir}" ] || { echo "br-criu-stage: ${dir} is not a directory" >&2; exit 1; }
	(cd "${dir}" && find . -type f ! -name 'manifest.sha256' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

stage="${1:-}"
[ -n "${stage}" ] || usage
shift

case "${stage}" in
buildroot-tree)
	[ $# -eq 3 ] || usage
	need BR_CRIU_BUILDROOT
	url="$1" tag="$2" commit="$3"
	# Stacks built side by side (npm run up -- --all) share one checkout of a
	# commit: one clones while the others wait on the directory's lock (a
	# flock on the directory itself, the same inode in every container).
	mkdir -p "${BR_CRIU_BUILDROOT}"
	exec 9<"${BR_CRIU_BUILDROOT}"
	flock 9
	if [ ! -d "${BR_CRIU_BUILDROOT}/.git" ]; then
		git clone --quiet --branch "${tag}" --depth 1 "${url}" "${BR_CRIU_BUILDROOT}"
	fi
	actual="$(git -C "${BR_CRIU_BUILDROOT}" rev-parse HEAD)"
	if [ "${actual}" != "${commit}" ]; then
		echo "br-criu-stage: ${BR_CRIU_BUILDROOT} is at ${actual}, but tag ${tag} must be ${commit}; remove the checkout or fix br-criu:buildrootCommit" >&2
		exit 1
	fi
	echo "buildroot ${tag} ${actual}"
	;;
make)
	[ $# -ge 1 ] || usage
	need BR_CRIU_BUILDROOT BR_CRIU_EXTERNAL BR_CRIU_OUTPUT
	case "$1" in
	/* | *..*) echo "br-criu-stage: the log file $1 must be a path below the output directory" >&2; exit 2 ;;
	esac
	br_make "$@"
	;;
image-manifest)
	[ $# -eq 0 ] || usage
	need BR_CRIU_OUTPUT
	manifest "${BR_CRIU_OUTPUT}/images" > "${BR_CRIU_OUTPUT}/images/manifest.sha256"
	cat "${BR_CRIU_OUTPUT}/images/manifest.sha256"
	;;
manifest)
	[ $# -eq 1 ] || usage
	manifest "$1"
	;;
compare-manifests)
	[ $# -eq 2 ] || usage
	if diff_output="$(diff "$1" "$2")"; then
		echo "identical"
	else
		echo "differ:"
		printf '%s\n' "${diff_output}" | sed -n 's/^[<>] [0-9a-f]\{64\}  //p' | LC_ALL=C sort -u
		exit 1
	fi
	;;
clean)
	[ $# -eq 0 ] || usage
	need BR_CRIU_OUTPUT
	# Empties the output directory; the directory itself may be a mount point.
	if [ -d "${BR_CRIU_OUTPUT}" ]; then
		find "${BR_CRIU_OUTPUT}" -mindepth 1 -delete
	fi
	;;
*)
	usage
	;;
esac
