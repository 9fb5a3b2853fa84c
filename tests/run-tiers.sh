#!/usr/bin/env bash
# npm test's tiers, in order, stopping at the first that fails. Every board's
# test kernel is built in the background from the start (x86_64's first: the
# engine tier boots it), because kernel builds are most of a cold run and the
# tiers before the runtime tier leave cores idle while they wait on Docker,
# the network, the Pulumi engine or QEMU. The tiers that boot a kernel take
# it from the cache or wait for its build tree's lock; a failed background
# build shows in them, and its log's end is printed here.
set -euo pipefail
cd "$(dirname "$0")/.."
TIERS=(typecheck format:check lint test:unit test:program test:engine test:farm test:package test:container test:kernel test:runtime)

builder_log="$(mktemp)"
# Its own process group, so that stopping it also stops its make and compilers.
setsid node --import tsx packages/cli/src/main.ts test-kernels qemu-x86_64 --all >"${builder_log}" 2>&1 &
builder=$!
stop_builder() {
	kill -- "-${builder}" 2>/dev/null || true
	wait "${builder}" 2>/dev/null || true
	rm -f "${builder_log}"
}
trap stop_builder EXIT
echo "run-tiers: test kernels building in the background (pid ${builder}, log ${builder_log})"

for tier in "${TIERS[@]}"; do
	npm run "${tier}"
done

if ! wait "${builder}"; then
	echo "run-tiers: the background test kernel build failed; its log ends:" >&2
	tail -n 40 "${builder_log}" >&2
	exit 1
fi
cat "${builder_log}"
