#!/bin/sh
# bench/chapter.sh BACKEND INSTANCE SNAPSHOT
#
# The baseline for `snaplab solve snapshots`: chapter 8's commands, bare, as the
# book (LXD) and the Incus book give them, on a plain running container. The last
# command must fail (the container is running); anything else failing is an error.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 lxd|incus INSTANCE SNAPSHOT" >&2; exit 2; }
backend=$1 i=$2 s=$3
err=$(mktemp)
trap 'rm -f "$err"' EXIT

case $backend in
lxd)
	lxc snapshot "$i" "$s"
	lxc info "$i"
	printf 'touch this_file.txt\nexit\n' | lxc exec "$i" bash
	lxc stop "$i"
	lxc restore "$i" "$s"
	lxc start "$i"
	printf 'ls this_file.txt\nexit\n' | lxc exec "$i" bash || true
	lxc delete "$i/$s"
	refused() { ! lxc delete "$i" 2>"$err"; }
	;;
incus)
	incus snapshot create "$i" "$s"
	incus info "$i"
	printf 'touch this_file.txt\nexit\n' | incus shell "$i"
	incus stop "$i"
	incus snapshot restore "$i" "$s"
	incus start "$i"
	printf 'ls this_file.txt\nexit\n' | incus shell "$i" || true
	incus snapshot delete "$i" "$s"
	refused() { ! incus delete "$i" 2>"$err"; }
	;;
*)
	echo "unknown backend: $backend" >&2
	exit 2
	;;
esac

if refused && grep -q "The instance is currently running" "$err"; then
	cat "$err"
else
	echo "chapter.sh: \`delete $i\` should have been refused (the container runs)" >&2
	cat "$err" >&2
	exit 1
fi
