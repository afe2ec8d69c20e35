#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A TCP stream whose every byte is counted and hashed at both ends.

    tcp_stream.py sink ADDR PORT        accept one connection on ADDR:PORT,
                                        read until the sender closes, answer
                                        "BYTES SHA256" and close
    tcp_stream.py source DST SRC PORT MB
                                        connect from SRC to DST:PORT, send MB
                                        MiB of a known stream, close the
                                        sending side and print the sink's
                                        answer, then "BYTES SHA256" of what
                                        was sent

The sink answers only after the sender closed, so a fast run cannot miss
its own in-flight tail (iperf3 -n stops counting when the sender has
written its last byte).  Every socket operation times out after 90 s.
"""
import hashlib
import socket
import sys

TIMEOUT = 90


def sink(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(TIMEOUT)
    c, _ = s.accept()
    c.settimeout(TIMEOUT)
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        n += len(b)
        h.update(b)
    c.sendall(("%d %s" % (n, h.hexdigest())).encode())
    c.close()


def source(dst, src, port, mib):
    c = socket.create_connection((dst, port), timeout=TIMEOUT,
                                 source_address=(src, 0))
    h = hashlib.sha256()
    n = 0
    for i in range(4 * mib):
        b = bytes((i * 31 + k) & 0xff for k in range(256)) * 1024
        c.sendall(b)
        h.update(b)
        n += len(b)
    c.shutdown(socket.SHUT_WR)
    a = b""
    while True:
        b = c.recv(128)
        if not b:
            break
        a += b
    print(a.decode(), "%d %s" % (n, h.hexdigest()))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sink":
        sink(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "source":
        source(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)
