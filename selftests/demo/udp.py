#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The demo's two small UDP programs.

listen NAME PORT FILE
    an application on a PNE: prints each datagram it receives (the module
    has opened it already), one line each, and appends it to FILE.
tap IFNAME PORT TO_ADDR
    an eavesdropper on the gateway: every UDP datagram to PORT that
    arrives on IFNAME is read off the link (AF_PACKET sees it before
    netfilter, so sealed as it crossed the wire), its fast-path header
    printed, and its payload sent as it is to TO_ADDR:PORT, so that a
    third PNE gets a copy of the wire bytes.
"""
import socket
import struct
import sys


def listen(name, port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    while True:
        data, _ = s.recvfrom(65536)
        line = "%-12s app received %d bytes: %r" % (name, len(data), data)
        print(line, flush=True)
        with open(path, "a") as f:
            f.write(line + "\n")


def tap(ifname, port, to):
    eth_p_ip = 0x0800
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                       socket.htons(eth_p_ip))
    rx.bind((ifname, eth_p_ip))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while True:
        pkt = rx.recv(65536)
        ihl = (pkt[0] & 0x0f) * 4
        if pkt[9] != socket.IPPROTO_UDP or len(pkt) < ihl + 8:
            continue
        dport, ulen = struct.unpack_from("!2xHH", pkt, ihl)
        if dport != int(port):
            continue
        payload = pkt[ihl + 8:ihl + ulen]
        if len(payload) >= 28:
            ver, group, epoch, sender, seq = struct.unpack_from(
                "!B3xIQQI", payload)
            print("%-12s on the wire: %d bytes, fast-path header version %d "
                  "group %d epoch %d sender %016x seq %d" %
                  ("eavesdropper", len(payload), ver, group, epoch, sender,
                   seq), flush=True)
        else:
            print("%-12s on the wire: %d bytes %r" %
                  ("eavesdropper", len(payload), payload), flush=True)
        tx.sendto(payload, (to, int(port)))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "listen":
        listen(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "tap":
        tap(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: udp.py listen NAME PORT FILE | tap IFNAME PORT TO_ADDR")
