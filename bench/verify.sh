#!/bin/sh
# bench/verify.sh BACKEND INSTANCE SNAPSHOT
#
# The baseline for `snaplab check snapshots` on a solved lab: the same live-state
# reads check makes, done with the plain lxc/incus client and nothing else
# (no jq, no Python). Three client calls, like check's three daemon reads:
#   GET /1.0/instances/X                      exists, Running, created_at, protection
#   GET /1.0/instances/X/snapshots?recursion=1  SNAPSHOT no longer listed
#   exec `test -e /root/this_file.txt`          the file is gone (files API if stopped)
# What it cannot do is replay the evidence journal (the order of snapshot, info,
# touch, stop, restore, start, look and delete): check grades that, this does not.
# Exit 0 when the live state is that of a solved lab, 1 when not, 2 on usage.
set -u
[ $# -eq 3 ] || { echo "usage: $0 lxd|incus INSTANCE SNAPSHOT" >&2; exit 2; }
backend=$1 instance=$2 snapshot=$3
case $backend in
lxd) cli=lxc ;;
incus) cli=incus ;;
*) echo "unknown backend: $backend" >&2; exit 2 ;;
esac
file=/root/this_file.txt
bad=0
ok() { echo "PASS  $*"; }
no() { echo "FAIL  $*"; bad=1; }

if ! state=$($cli query "/1.0/instances/$instance" 2>/dev/null); then
	no "$instance does not exist"
	exit 1
fi
ok "$instance exists"
case $state in
*'"status": "Running"'*) ok "$instance is running" ;;
*) no "$instance is not running" ;;
esac
case $state in
*'"security.protection.delete": "true"'*) ok "$instance is protected (security.protection.delete)" ;;
*) no "$instance is not protected" ;;
esac
rest=${state#*\"created_at\": \"}
created=${rest%%\"*}
if [ "$rest" != "$state" ] && [ -n "$created" ]; then
	ok "$instance created_at $created (the journal would say whether it is the lab's own)"
else
	no "$instance has no created_at"
fi

if ! snaps=$($cli query "/1.0/instances/$instance/snapshots?recursion=1"); then
	no "cannot list the snapshots of $instance"
else
	case $snaps in
	*"\"name\": \"$snapshot\""*) no "$snapshot still exists" ;;
	*) ok "$snapshot is deleted" ;;
	esac
fi

# like check: a command inside a running container, the files API on a stopped one
case $state in
*'"status": "Running"'*)
	$cli exec "$instance" -- test -e "$file"
	found=$?
	;;
*)
	if why=$($cli file pull "$instance$file" - 2>&1 >/dev/null); then
		found=0
	else
		case $why in
		*"Not Found"* | *"does not exist"*) found=1 ;;
		*) found=2 ;;
		esac
	fi
	;;
esac
case $found in
0) no "$file exists" ;;
1) ok "$file is gone" ;;
*) no "cannot look for $file in $instance" ;;
esac

echo "note  the evidence journal (order of the steps) is not replayed by this script"
exit $bad
