#!/usr/bin/env bash
# What `npm run up|preview|destroy -- <stack> [pulumi options]` and
# `npm run pulumi -- <stack> <pulumi command and options>` run: the
# pinned Pulumi engine (built by setup.sh on first use) on the project's local
# file backend (.pulumi-state/, from Pulumi.yaml), with an empty passphrase
# unless PULUMI_CONFIG_PASSPHRASE is set, no login and no Pulumi Cloud
# account. The stack is created on first use from stacks/Pulumi.<stack>.yaml.
# `npm run up|preview|destroy -- --all [--parallel N]` runs the action on
# every stack through the Automation API (br-criu all-stacks).
set -euo pipefail
usage="usage: npm run up|preview|destroy -- <stack> [pulumi options], npm run up|preview|destroy -- --all [--parallel N], or npm run pulumi -- <stack> <pulumi command>"
[ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
action=$1 stack=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
engine() {
	local bin
	bin=$(bash "$root/packages/engine/setup.sh")
	export PATH="$bin:$PATH"
	export PULUMI_SKIP_UPDATE_CHECK=true
	export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
	cd "$root"
	mkdir -p .pulumi-state
}
if [ "$stack" = --all ]; then
	# all-stacks refuses an action it does not run (its usage names them).
	engine
	exec node --import tsx packages/cli/src/main.ts all-stacks "$action" "$@"
fi
case $stack in
'' | -* | *[!A-Za-z0-9_.-]*)
	echo "br-criu: \"$stack\" is not a stack name (letters, digits, '.', '_', '-'); $usage" >&2
	exit 2
	;;
esac
if [ ! -f "$root/stacks/Pulumi.$stack.yaml" ]; then
	echo "br-criu: stacks/Pulumi.$stack.yaml does not exist; stacks: $(cd "$root/stacks" && ls Pulumi.*.yaml | sed 's/^Pulumi\.//; s/\.yaml$//' | tr '\n' ' ')" >&2
	exit 2
fi

engine
pulumi stack select "$stack" >/dev/null 2>&1 || pulumi stack init "$stack"
case $action in
up) exec pulumi up --yes --stack "$stack" "$@" ;;
preview) exec pulumi preview --diff --stack "$stack" "$@" ;;
destroy) exec pulumi destroy --yes --stack "$stack" "$@" ;;
pulumi) exec pulumi "$@" --stack "$stack" ;;
*)
	echo "br-criu: unknown action \"$action\"; $usage" >&2
	exit 2
	;;
esac
