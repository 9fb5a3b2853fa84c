#!/usr/bin/env bash
# Builds the Pulumi engine br-criu runs with, from Go modules (the vendor's
# download site is not needed): the `pulumi` CLI and its Node.js language host.
#
# Each wrapper module in this directory (pulumi/, language-nodejs/) pins one
# binary: its go.mod and go.sum are the lock file, and its `tool` line names
# the package to build. Binaries are built once into a cache outside the
# repository, keyed by the hash of the wrapper's go.mod, go.sum, the Go
# version and the link flags, and installed by rename so an interrupted
# build leaves nothing half-written:
#   ${BR_CRIU_CACHE:-~/.cache/br-criu}/pulumi/<key>/bin/<binary>
# Then both binaries are put side by side (hard links) in
# .../pulumi/engine-<both keys>/bin, since the CLI looks for its language host
# next to itself (and warns when the one on PATH is elsewhere), and linked
# into ${BR_CRIU_CACHE:-~/.cache/br-criu}/pulumi/bin, the directory the
# `npm run up/preview/destroy` wrapper puts on PATH.
set -euo pipefail
# Go comes with machines of the project's kind at /usr/local/go, not always on PATH.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
	PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null || {
	echo "br-criu: Go (>= 1.25) is needed to build the Pulumi engine; install it (https://go.dev/doc/install) and run npm run setup:pulumi again" >&2
	exit 1
}
here=$(cd "$(dirname "$0")" && pwd)
cache=${BR_CRIU_CACHE:-$HOME/.cache/br-criu}/pulumi
mkdir -p "$cache/bin"

# The version each binary reports: the CLI checks it against the SDK, and the
# language host's is informational. Read from the wrapper's own go.mod.
required_version() {
	awk -v module="$2" '{ for (i = 1; i < NF; i++) if ($i == module) { print $(i + 1); exit } }' "$1/go.mod"
}

built=()
build() {
	local wrapper=$1 binary=$2 stamp=$3
	local key version ldflags target staging
	version=$(required_version "$here/$wrapper" "$stamp")
	# -s -w: no symbol table or DWARF, which nothing here reads and which make the link slower.
	ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
	key=$( (cat "$here/$wrapper/go.mod" "$here/$wrapper/go.sum"; go version; echo "$ldflags") | sha256sum | cut -c1-16)
	target="$cache/$wrapper-$key"
	if [ ! -x "$target/bin/$binary" ]; then
		echo "br-criu: building $binary $version (Go module $wrapper, cache key $key); this takes a few minutes once" >&2
		staging=$(mktemp -d "$cache/.staging-XXXXXX")
		(cd "$here/$wrapper" && CGO_ENABLED=0 GOBIN="$staging/bin" go install -trimpath -ldflags "$ldflags" tool)
		rm -rf "$target"
		mv "$staging" "$target"
	fi
	built+=("$target/bin/$binary")
}

build pulumi pulumi github.com/pulumi/pulumi/pkg/v3
build language-nodejs pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3

engine="$cache/engine-$(printf '%s\n' "${built[@]}" | sha256sum | cut -c1-16)"
if [ ! -d "$engine/bin" ]; then
	staging=$(mktemp -d "$cache/.staging-XXXXXX")
	mkdir "$staging/bin"
	for binary in "${built[@]}"; do
		ln "$binary" "$staging/bin/" 2>/dev/null || cp "$binary" "$staging/bin/"
	done
	rm -rf "$engine"
	mv "$staging" "$engine"
fi
for binary in "${built[@]}"; do
	ln -sfn "$engine/bin/$(basename "$binary")" "$cache/bin/$(basename "$binary")"
done
"$cache/bin/pulumi" version >&2
echo "$cache/bin"
