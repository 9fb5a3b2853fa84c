#!/bin/sh
# Post-image step of every br-criu board: puts the board's start-qemu.sh
# next to the images, so that output/images/start-qemu.sh boots the board.
# Buildroot calls it with BINARIES_DIR set and the board id as argument
# (BR2_ROOTFS_POST_SCRIPT_ARGS).

set -eu

board="${2:?usage: post-image.sh IMAGES_DIR BOARD}"
script="${BR2_EXTERNAL_BR_CRIU_PATH}/board/${board}/start-qemu.sh"

if [ ! -f "${script}" ]; then
	echo "post-image.sh: no ${script} for board ${board}" >&2
	exit 1
fi
install -m 0755 "${script}" "${BINARIES_DIR}/start-qemu.sh"
