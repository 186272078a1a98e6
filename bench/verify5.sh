#!/bin/sh
# bench/verify5.sh BACKEND INSTANCE
#
# The second baseline for `snaplab check snapshots` on a solved lab: the five client
# calls a person would type to see that for themselves, exactly these and nothing else
# (issue 11 item 6). No parsing beyond the exit codes: the figure is what five plain
# lxc/incus processes cost, each with its own start-up and daemon round trip.
#   list NAME -c ns --format csv                   is it there, is it running
#   info NAME                                      state and the snapshot table
#   query /1.0/instances/NAME/snapshots            the snapshots left
#   exec NAME -- test ! -e /root/this_file.txt     the file is gone
#   config show NAME                               security.protection.delete
# Exit 0 when all five calls succeed, 1 when one does not, 2 on usage.
set -u
[ $# -eq 2 ] || { echo "usage: $0 lxd|incus INSTANCE" >&2; exit 2; }
backend=$1 instance=$2
case $backend in
lxd) cli=lxc ;;
incus) cli=incus ;;
*) echo "unknown backend: $backend" >&2; exit 2 ;;
esac
bad=0
$cli list "$instance" -c ns --format csv || bad=1
$cli info "$instance" >/dev/null || bad=1
$cli query "/1.0/instances/$instance/snapshots" || bad=1
$cli exec "$instance" -- test ! -e /root/this_file.txt || bad=1
$cli config show "$instance" >/dev/null || bad=1
exit $bad
