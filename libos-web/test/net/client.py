#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
"""Real Linux TCP clients for exonet-echo (apps/exonet-echo.c).

  client.py HOST PORT echo N        send N random bytes, expect them back
  client.py HOST PORT send N        expect N pattern bytes then EOF
  client.py HOST PORT sink N        send N bytes, expect "N fnv" back
  client.py HOST PORT many K N      K concurrent connections, echo N each
Exit 0 when every byte matched; a line on stdout says what was seen."""
import os, socket, sys, threading

def pattern(n):
    one = bytes((i * 7 + 1) & 0xff for i in range(256))
    return (one * (n // 256 + 1))[:n]

def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h

def conn(host, port):
    s = socket.create_connection((host, port), timeout=60)
    s.settimeout(60)
    return s

def read_all(s):
    out = bytearray()
    while True:
        b = s.recv(1 << 16)
        if not b:
            return bytes(out)
        out += b

def echo(host, port, n):
    data = os.urandom(n)
    s = conn(host, port)
    err = []
    def writer():
        try:
            s.sendall(b"ECHO\n" + data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)
    t = threading.Thread(target=writer)
    t.start()
    got = read_all(s)
    t.join()
    s.close()
    return got == data and not err, "echo %d: got %d bytes%s" % (n, len(got), " " + str(err) if err else "")

def send(host, port, n):
    s = conn(host, port)
    s.sendall(b"SEND %d\n" % n)
    got = read_all(s)
    s.close()
    return got == pattern(n), "send %d: got %d bytes, %s" % (n, len(got), "exact" if got == pattern(n) else "DIFFERENT")

def sink(host, port, n):
    data = os.urandom(n)
    s = conn(host, port)
    s.sendall(b"SINK\n" + data)
    s.shutdown(socket.SHUT_WR)
    got = read_all(s).decode(errors="replace").split()
    s.close()
    want = [str(n), "%016x" % fnv(data)]
    return got == want, "sink %d: server says %s, want %s" % (n, got, want)

def many(host, port, k, n):
    res = [None] * k
    def one(i):
        try:
            res[i] = echo(host, port, n)[0]
        except OSError as e:
            res[i] = False
            print("connection %d: %s" % (i, e))
    ts = [threading.Thread(target=one, args=(i,)) for i in range(k)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    good = sum(1 for r in res if r)
    return good == k, "many: %d of %d connections echoed %d bytes exactly" % (good, k, n)

def main():
    host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    args = [int(a) for a in sys.argv[4:]]
    try:
        ok, msg = {"echo": echo, "send": send, "sink": sink, "many": many}[what](host, port, *args)
    except OSError as e:
        ok, msg = False, "%s: %s" % (what, e)
    print(msg)
    sys.exit(0 if ok else 1)

main()
