# SPDX-License-Identifier: (GPL-2.0 OR MIT)
# test/net/lib.sh — sourced by the guest tests test/vm/exonet_*: the
# server (build/exonet-echo on the stack, over an exo binding of exn0)
# lives in namespace exn-srv, the clients in exn-cli, over a veth pair.
# TAP helpers (ok, not_ok, check), namespaces, server start and stop.
WEB=$(cd "$(dirname "$0")/../.." && pwd)
TOP=$(cd "$WEB/.." && pwd)
ECHO=$WEB/build/exonet-echo
PY=/usr/bin/python3
CLIENT="$PY $WEB/test/net/client.py"
CRAFT="$PY $WEB/test/net/crafted.py"
SRV=10.78.0.1 CLI=10.78.0.2 PORT=7000
NS_S="ip netns exec exn-srv" NS_C="ip netns exec exn-cli"
n=0 fails=0 pid=
LOG=$(mktemp /tmp/exonet-echo.XXXXXX)

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() {	# description command...: ok if the command succeeds
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
	fi
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
}

net_up() {
	ip netns del exn-srv 2>/dev/null; ip netns del exn-cli 2>/dev/null
	ip netns add exn-srv && ip netns add exn-cli &&
	ip link add exn0 netns exn-srv type veth peer name exn1 netns exn-cli &&
	$NS_S ip addr add $SRV/24 dev exn0 && $NS_S ip link set exn0 up &&
	$NS_S ip link set lo up &&
	$NS_C ip addr add $CLI/24 dev exn1 && $NS_C ip link set exn1 up &&
	$NS_C ip link set lo up &&
	# exo's ring slots hold 1792 bytes: the client sends MTU-sized
	# frames, not 64 KiB GSO ones (segmented in software instead)
	$NS_C ethtool -K exn1 tso off gso off >/dev/null 2>&1
	$NS_S ethtool -K exn0 gro off >/dev/null 2>&1
	return 0
}

net_down() {
	ip netns del exn-srv 2>/dev/null
	ip netns del exn-cli 2>/dev/null
}

server_start() {	# extra arguments for exonet-echo
	$NS_S "$ECHO" -q "$@" exn0 $SRV $PORT >"$LOG" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		grep -q listening "$LOG" && return 0
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	cat "$LOG" | sed 's/^/# /'
	return 1
}

server_stop() {
	[ -n "$pid" ] || return 0
	kill -TERM $pid 2>/dev/null
	wait $pid
	local rc=$?
	pid=
	sed 's/^/# /' "$LOG"
	return $rc
}

cleanup() {
	[ -n "$pid" ] && kill -9 $pid 2>/dev/null
	$NS_C tc qdisc del dev exn1 root 2>/dev/null
	net_down
	rm -f "$LOG"
}
trap cleanup EXIT

tcp_insegs() {	# Linux TCP segments received in the server's namespace
	$NS_S awk '/^Tcp:/ && $2 ~ /^[0-9]/ {print $11}' /proc/net/snmp
}

if [ ! -x "$ECHO" ] || [ ! -c /dev/exo ]; then
	echo "1..0 # SKIP exonet-echo not built or exo not loaded"
	exit 0
fi

net_up || { echo "1..0 # SKIP could not make the namespaces"; exit 0; }
$NS_S ip link show exn0 >/dev/null

finish() {
	echo "1..$n"
	[ $fails = 0 ]
}
