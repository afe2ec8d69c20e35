#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""bench-scale-poll.py: the polling side of tools/bench-scale.sh.

One process asks every proxy's control socket (the JSON-lines protocol of
lib/ctl.h, the same as proxyctl speaks) instead of one proxyctl, grep and
head per proxy per round: with 200 proxies those forks cost more CPU than
the proxies themselves on a 2-core machine, and stretched a polling round
to seconds.

  converge T0_MS MAX_S POLL_S N SOCK...
      until every socket's status "proxies" is >= N: prints the wall time
      (ms since the epoch) at which the last one got there, or "-" after
      MAX_S seconds from T0_MS
  gone T0_MS MAX_S POLL_S GONE_NAMES SOCK...
      until every socket's topology shows exactly len(SOCK) origins
      reachable and none of GONE_NAMES (comma-separated): prints the time
      as above, or "-"
  sum FIELD,FIELD,... SOCK...
      one status per socket: prints, per field, "FIELD SUM MEDIAN MAX"
      (sockets that do not answer are left out)

Progress goes to stderr every 5 s (10 s for converge).  Every wait is
bounded (rounds too): a socket that does not answer within 0.5 s counts as not there yet.
"""
import json
import socket
import statistics
import sys
import time


def ask(path, cmd, timeout=0.5):
    """The rows of one command, or None if the proxy did not answer."""
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(b'{"id":0,"cmd":"hello","v":[2,0],'
                  b'"client":"bench-scale-poll"}\n'
                  b'{"id":1,"cmd":"' + cmd.encode() + b'"}\n')
        buf = b""
        rows = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                m = json.loads(line)
                if m.get("id") != 1:
                    if m.get("ok") is False:
                        return None
                    continue
                if "row" in m:
                    rows.append(m["row"])
                elif m.get("end") or m.get("ok") is False:
                    s.close()
                    return rows if m.get("end") else None
        s.close()
    except (OSError, ValueError):
        pass
    return None


def now_ms():
    return int(time.time() * 1000)


def wait_all(t0, max_s, poll_s, socks, done, what, every):
    pending = list(socks)
    last = None
    next_report = t0 + every * 1000
    deadline = t0 + max_s * 1000
    while pending:
        still = []
        for k, p in enumerate(pending):
            if now_ms() >= deadline:	# a slow round is bounded too
                still.extend(pending[k:])
                break
            if done(p):
                last = now_ms()
            else:
                still.append(p)
        pending = still
        if not pending:
            break
        t = now_ms()
        if t >= next_report:
            print("#   %ds: %d proxies not %s" % ((t - t0) // 1000,
                  len(pending), what), file=sys.stderr, flush=True)
            next_report += every * 1000
        if t >= deadline:
            print("#   not %s after %ds: %d proxies, e.g. %s" % (what, max_s,
                  len(pending), pending[0]), file=sys.stderr, flush=True)
            return "-"
        time.sleep(poll_s)
    return str(last if last is not None else now_ms())


def main(argv):
    mode = argv[1]
    if mode == "converge":
        t0, max_s, poll_s, n = int(argv[2]), int(argv[3]), float(argv[4]), \
            int(argv[5])

        def done(p):
            rows = ask(p, "status")
            return bool(rows) and (rows[0].get("proxies") or 0) >= n
        print(wait_all(t0, max_s, poll_s, argv[6:], done, "converged", 10))
    elif mode == "gone":
        t0, max_s, poll_s = int(argv[2]), int(argv[3]), float(argv[4])
        gone = set(argv[5].split(","))
        socks = argv[6:]

        def done(p):
            # a starved proxy answers 200 rows slowly (load 180 at N=200)
            rows = ask(p, "topology", timeout=2.0)
            if rows is None:
                return False
            reach = [r.get("origin") for r in rows if r.get("reachable")]
            return len(reach) == len(socks) and not gone & set(reach)
        print(wait_all(t0, max_s, poll_s, socks, done, "settled", 5))
    elif mode == "sum":
        fields = argv[2].split(",")
        vals = {f: [] for f in fields}
        for p in argv[3:]:
            rows = ask(p, "status")
            if not rows:
                continue
            for f in fields:
                v = rows[0].get(f)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    vals[f].append(v)
        for f in fields:
            v = vals[f]
            if v:
                print(f, sum(v), statistics.median(v), max(v))
            else:
                print(f, "-", "-", "-")
    else:
        print("bench-scale-poll: unknown mode %r" % mode, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
