#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
"""Crafted segments against exonet-echo (python3-scapy), from the client
namespace, with a source address nobody owns (10.78.0.3): the server
learns our MAC from the frames and answers there, and Linux in this
namespace drops those answers silently instead of resetting them.

  crafted.py IFACE SERVER SERVER_MAC PORT [TEST...]
Runs the tests (all by default) in one process (importing scapy is slow
under TCG) and prints "RESULT ok|not-ok NAME" for each, after its notes."""
import os, random, sys, time, threading
from scapy.all import Ether, IP, TCP, Raw, sendp, AsyncSniffer, conf

conf.verb = 0
IFACE, SRV, SMAC, PORT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
SRC = "10.78.0.3"
MYMAC = open("/sys/class/net/%s/address" % IFACE).read().strip()
M = 1 << 32

def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h

class Peer:
    def __init__(self, sport=None):
        self.sport = sport or random.randint(20000, 60000)
        self.seq = random.randint(1, 1 << 30)
        self.rx, self.cursor, self.lock = [], 0, threading.Lock()
        self.sn = AsyncSniffer(iface=IFACE, store=False, prn=self._got,
                               lfilter=lambda p: TCP in p and p[IP].src == SRV and p[TCP].dport == self.sport)
        self.sn.start()
        time.sleep(0.5)

    def _got(self, p):
        with self.lock:
            self.rx.append(p)

    def close(self):
        self.sn.stop()

    def send(self, flags, data=b"", seq=None, ack=None, win=65535, options=()):
        p = (Ether(src=MYMAC, dst=SMAC) / IP(src=SRC, dst=SRV) /
             TCP(sport=self.sport, dport=PORT, flags=flags,
                 seq=(self.seq if seq is None else seq) % M,
                 ack=(self.rcv if ack is None else ack) % M if "A" in flags else 0,
                 window=win, options=list(options)))
        if data:
            p = p / Raw(data)
        sendp(p, iface=IFACE)

    def wait(self, pred, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                while self.cursor < len(self.rx):
                    p = self.rx[self.cursor]
                    self.cursor += 1
                    if pred(p[TCP]):
                        return p[TCP]
            time.sleep(0.05)
        return None

    def handshake(self, win=65535):
        self.send("S", options=[("MSS", 1460)])
        sa = self.wait(lambda t: t.flags == "SA")
        if sa is None or sa.ack != (self.seq + 1) % M:
            raise Failed("no SYN-ACK for our SYN")
        self.irs = sa.seq
        self.rcv = (sa.seq + 1) % M
        self.seq += 1
        self.send("A", win=win)

    def collect(self, until_fin=True, timeout=10.0, win=65535):
        """Read the server's data in order (acking it) until its FIN."""
        data = {}
        end = time.time() + timeout
        while time.time() < end:
            t = self.wait(lambda t: True, timeout=0.5)
            if t is None:
                continue
            pl = bytes(t.payload) if t.payload else b""
            if pl:
                data[t.seq] = pl
            # advance rcv over what is contiguous
            moved = True
            while moved:
                moved = False
                for s, d in list(data.items()):
                    off = (self.rcv - s) % M
                    if off < len(d):
                        self.buf = getattr(self, "buf", b"") + d[off:]
                        self.rcv = (self.rcv + len(d) - off) % M
                        moved = True
                    if (self.rcv - s) % M < M // 2 and (self.rcv - s) % M >= len(d):
                        del data[s]
            if "F" in t.flags and (t.seq + len(pl)) % M == self.rcv:
                self.rcv = (self.rcv + 1) % M
                self.send("A", win=win)
                return getattr(self, "buf", b"")
            self.send("A", win=win)
        return getattr(self, "buf", b"")

class Failed(Exception):
    pass

def expect(cond, msg):
    print(("# ok: " if cond else "# FAILED: ") + msg, flush=True)
    if not cond:
        raise Failed(msg)

def alive(p):
    """The connection still works: ECHO something and see it back."""
    p.send("PA", b"ECHO\nstill here")
    t = p.wait(lambda t: bytes(t.payload).endswith(b"still here"))
    return t is not None

def t_sink(overlap):
    p = Peer()
    p.handshake()
    body = os.urandom(3000)
    stream = b"SINK\n" + body
    base = p.seq
    if overlap:
        # overlapping, duplicated pieces of one consistent stream
        pieces = [(0, 700), (500, 1200), (300, 400), (1100, 2400), (2000, 3005), (0, 100)]
    else:
        # out of order: later pieces first, then the holes
        pieces = [(1005, 1505), (2005, 2505), (0, 1005), (2505, 3005), (1505, 2005)]
    for a, b in pieces:
        p.send("PA", stream[a:b], seq=base + a)
        time.sleep(0.05)
    p.seq = base + len(stream)
    p.send("FA")
    got = p.collect()
    want = b"%d %016x\n" % (len(body), fnv(body))
    p.close()
    expect(got == want, "server read the stream exactly: %r (want %r)" % (got, want))

def t_rst_inwin():
    p = Peer()
    p.handshake()
    p.send("R", seq=p.seq + 1000)
    t = p.wait(lambda t: t.flags == "A" and t.ack == p.seq % M)
    expect(t is not None, "an in-window RST off RCV.NXT gets a challenge ACK (RFC 5961 3.2)")
    expect(alive(p), "and the connection lives on")
    p.close()

def t_rst_exact():
    p = Peer()
    p.handshake()
    p.send("R", seq=p.seq)
    time.sleep(0.5)
    p.send("PA", b"ECHO\nx")
    t = p.wait(lambda t: "R" in t.flags)
    expect(t is not None, "an RST at RCV.NXT resets: later data gets RST")
    p.close()

def t_rst_outwin():
    p = Peer()
    p.handshake()
    p.send("R", seq=p.seq + (1 << 30))
    t = p.wait(lambda t: True, timeout=1.0)
    expect(t is None, "an RST far outside the window gets no answer")
    expect(alive(p), "and changes nothing")
    p.close()

def t_syn_established():
    p = Peer()
    p.handshake()
    p.send("S", seq=p.seq + 12345)
    t = p.wait(lambda t: t.flags == "A" and t.ack == p.seq % M)
    expect(t is not None, "a SYN on an established connection gets a challenge ACK (RFC 5961 4.2)")
    expect(alive(p), "and the connection lives on")
    p.close()

def t_timewait_syn():
    p = Peer()
    p.handshake()
    p.send("PA", b"SEND 10\n")
    p.seq += 8
    got = p.collect()
    expect(len(got) == 10, "got the 10 bytes and the server's FIN (it closes first)")
    p.send("FA")
    t = p.wait(lambda t: t.flags == "A" and t.ack == (p.seq + 1) % M)
    expect(t is not None, "our FIN is acked: the server holds the pair in TIME_WAIT")
    old = p.seq + 1
    p.send("S", seq=old - 5000)
    t = p.wait(lambda t: "S" not in t.flags and "A" in t.flags)
    expect(t is not None, "an old SYN to the TIME_WAIT pair is answered with an ACK")
    p.send("S", seq=old + 100000, options=[("MSS", 1460)])
    t = p.wait(lambda t: t.flags == "SA" and t.ack == (old + 100001) % M)
    expect(t is not None, "a SYN beyond the old sequence reuses the pair (RFC 6191, RFC 1122 4.2.2.13)")
    p.send("R", seq=old + 100001)
    p.close()

def t_zero_window():
    p = Peer()
    p.handshake(win=0)
    p.send("PA", b"SEND 5000\n", win=0)
    p.seq += 10
    t = p.wait(lambda t: len(t.payload) > 1, timeout=0.8)
    expect(t is None, "nothing is sent into a zero window")
    t = p.wait(lambda t: len(t.payload) == 1, timeout=4)
    expect(t is not None, "a one-byte persist probe comes (RFC 9293 3.8.6.1)")
    p.send("A", win=0)
    t = p.wait(lambda t: len(t.payload) == 1, timeout=6)
    expect(t is not None, "and another, backed off")
    p.send("A", win=65535)
    got = p.collect()
    want = bytes((i * 7 + 1) & 0xff for i in range(5000))
    expect(got == want, "the window opens: all 5000 bytes arrive exactly (%d)" % len(got))
    p.close()

def t_closed_port():
    p = Peer()
    p.send("A", seq=777, ack=4242)
    t = p.wait(lambda t: "R" in t.flags)
    expect(t is not None and t.seq == 4242, "an ACK for no connection gets RST with SEQ=SEG.ACK")
    p.close()

tests = {"ooo": lambda: t_sink(False), "overlap": lambda: t_sink(True),
         "rst_inwin": t_rst_inwin, "rst_exact": t_rst_exact, "rst_outwin": t_rst_outwin,
         "syn_established": t_syn_established, "timewait_syn": t_timewait_syn,
         "zero_window": t_zero_window, "closed_port": t_closed_port}
for name in sys.argv[5:] or list(tests):
    peers_before = None
    try:
        tests[name]()
        print("RESULT ok %s" % name, flush=True)
    except Failed:
        print("RESULT not-ok %s" % name, flush=True)
    except Exception as e:
        print("# %s: %r" % (name, e))
        print("RESULT not-ok %s" % name, flush=True)
