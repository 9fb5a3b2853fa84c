#!/usr/bin/env bash
# A Debian bookworm base for the build image without a container registry:
# debootstrap's minbase variant from a Debian archive, packed as a tarball
# for `docker import`. Run as root (debootstrap needs it):
#
#   packages/build-env/debootstrap-base.sh \
#       http://snapshot.debian.org/archive/debian/20261101T000000Z base.tar
#   docker import base.tar br-criu-base:bookworm-20261101
#   docker build --build-arg BASE=br-criu-base:bookworm-20261101 packages/build-env
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: debootstrap-base.sh MIRROR ROOTFS_TAR" >&2
	exit 2
fi
mirror="$1"
out="$2"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
if ! debootstrap --variant=minbase bookworm "${work}/root" "${mirror}" > "${work}/debootstrap.log" 2>&1; then
	echo "debootstrap-base.sh: debootstrap from ${mirror} failed; last lines of its log:" >&2
	tail -n 30 "${work}/debootstrap.log" >&2
	exit 1
fi
# Package lists and apt's caches are the build's business, not the base's.
rm -rf "${work}/root/var/lib/apt/lists/"* "${work}/root/var/cache/apt/"*.bin
tar --numeric-owner -C "${work}/root" -cf "${out}.partial" .
mv "${out}.partial" "${out}"
