# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# httpd-env.sh — sourced by the httpd_* guest tests (not run by itself: it
# is not executable).  Builds the documents on tmpfs and a veth pair
# across two network namespaces, attaches the server's end to exo as root
# and starts exo-httpd on it unprivileged (uid 65534, /dev/exo's group as
# run.sh loads the module), port 8080; the clients run in the other
# namespace (C cmd...).  TAP helpers: ok, not_ok, check, finish.
set -u

WEB=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HTTPD=$WEB/build/exo-httpd
NS_S=exohttpd-s$$ NS_C=exohttpd-c$$
IF_S=ehs$$ IF_C=ehc$$
IP_S=10.77.0.1 IP_C=10.77.0.2 PORT=8080
URL=http://$IP_S:$PORT
DEBUGFS=/sys/kernel/debug
n=0 failed=0 pid=

ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check()  { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
C()      { ip netns exec "$NS_C" "$@"; }

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	[ -n "${DOC:-}" ] && rm -rf "$DOC" "$OUT"
}
trap cleanup EXIT

if [ ! -x "$HTTPD" ]; then
	echo "1..0 # SKIP $HTTPD is not built (needs libos-web's TCP stack)"
	exit 0
fi

# ---- the documents, on tmpfs ------------------------------------------------
DOC=$(mktemp -d /tmp/exohttpd-doc.XXXXXX)
OUT=$(mktemp -d /tmp/exohttpd-out.XXXXXX)
chmod 755 "$DOC"
SIZES="0 1 1460 1461 65536 1048576 10485760"
for s in $SIZES; do
	head -c "$s" /dev/urandom > "$DOC/f$s"
done
echo '<html>hello</html>' > "$DOC/index.html"
mkdir "$DOC/dir" && echo sub > "$DOC/dir/index.html"
echo secret > "$DOC/secret.txt" && chmod 000 "$DOC/secret.txt"
chmod -R a+rX "$DOC/dir" "$DOC/index.html" "$DOC"/f*
sum() { sha256sum < "$1" | cut -d' ' -f1; }

# ---- the network --------------------------------------------------------------
ip netns add "$NS_S" && ip netns add "$NS_C" &&
ip link add "$IF_S" type veth peer name "$IF_C" &&
ip link set "$IF_S" netns "$NS_S" && ip link set "$IF_C" netns "$NS_C" &&
ip -n "$NS_S" addr add $IP_S/24 dev "$IF_S" &&
ip -n "$NS_C" addr add $IP_C/24 dev "$IF_C" &&
ip -n "$NS_S" link set "$IF_S" up && ip -n "$NS_C" link set "$IF_C" up &&
ip -n "$NS_S" link set lo up && ip -n "$NS_C" link set lo up ||
	{ echo "Bail out! cannot build the veth pair"; exit 1; }
# The client's offloads off: exo sees whole frames with checksums (veth's
# default GSO would hand it 64 KiB super-frames).  The server's device
# keeps its transmit offloads (TSO, checksum), which exo-httpd's TSO and
# zero-copy segments use as they would on a NIC; HTTPD_SERVER_OFFLOADS=off
# turns them off, so the kernel's software GSO and checksum run instead.
ip netns exec "$NS_C" ethtool -K "$IF_C" tso off gso off gro off tx off >/dev/null 2>&1
ip netns exec "$NS_S" ethtool -K "$IF_S" gro off >/dev/null 2>&1
[ "${HTTPD_SERVER_OFFLOADS:-on}" = off ] &&
	ip netns exec "$NS_S" ethtool -K "$IF_S" tso off gso off tx off >/dev/null 2>&1

# The documents' source (a test may serve another: httpd_exofs).
ROOT_ARGS=(-r "$DOC")
# The server runs as nobody; AS_ROOT=1 runs it as root (eBPF allowed).
start_server() {	# extra options...
	local as=(setpriv --reuid=65534 --regid=65534 --clear-groups)

	[ "${AS_ROOT:-0}" = 1 ] && as=()
	ip netns exec "$NS_S" "${as[@]}" "$HTTPD" -i "$IF_S" -a $IP_S -p $PORT \
		"${ROOT_ARGS[@]}" -l 1 "$@" 2>>"$OUT/server.log" &
	pid=$!
	for _ in $(seq 100); do
		C curl -s -o /dev/null --max-time 2 "$URL/index.html" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# Loads scale with the kernel.  make check-debug's (uname -r ...-exodebug:
# KASAN, lockdep, kmemleak, all under TCG) serves several times slower than
# the stock one: wrk -c 100 there did 77 requests/s, latency max 1.59 s, 2 of
# 252 requests past wrk's default 2 s timeout (2026-12-04).  SLOW multiplies
# a load's duration and its per-request timeout alike, so what a test asserts
# (every request answered within the timeout, in a run longer than it) is
# the same on both kernels.  EXO_TEST_SLOW=N sets the factor.
SLOW=${EXO_TEST_SLOW:-1}
[ -z "${EXO_TEST_SLOW:-}" ] && [[ $(uname -r) == *-exodebug ]] && SLOW=5
# wrk from the client for @secs seconds (x SLOW), a request timing out after
# wrk's default 2 s (x SLOW): wrk_for SECS wrk-options... URL
wrk_for() {
	local secs=$1
	shift
	C wrk -d "$((secs * SLOW))s" --timeout "$((2 * SLOW))s" "$@"
}

alive() { kill -0 "$pid" 2>/dev/null; }
T0=$(date +%s)

# Attach as root, start unprivileged: the first two results of every test.
setup_server() {
	check "root attaches $IF_S to exo (exo-httpd --attach)" \
		ip netns exec "$NS_S" "$HTTPD" --attach -i "$IF_S" -l 1
	check "exo-httpd runs unprivileged on port $PORT and answers" \
		start_server "$@" || { finish; exit 1; }
}

finish() {
	if [ -s "$OUT/server.log" ]; then
		echo "# server log:"
		tail -20 "$OUT/server.log" | sed 's/^/#   /'
	fi
	echo "# $(($(date +%s) - T0)) s"
	echo "1..$n"
	[ $failed = 0 ]
}

