#!/usr/bin/env python3
"""A threaded HTTP/1.1 file server on 127.0.0.1 with fault injection, for crossrun's sysroot-fetch tests.

    serve-repo.py ROOT [--port 0] [--log FILE] [--slow-chunk 1024] [--slow-delay 0.05] [--no-stdin-watch]

Prints `PORT <n>` as its first stdout line once listening, then serves files under ROOT until killed, or until
its standard input reaches end-of-file (so a test process that dies takes the server with it; pass
--no-stdin-watch when starting it by hand in the background). Faults, chosen by a URL prefix (/ok/, /404/,
/500/, /truncate/, /close/, /slow/, ...) or per file by ROOT/faults.json, and the request log ROOT/requests.log
are described in README.md beside this file. Python 3.11 standard library only.
"""

import argparse
import hashlib
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

FAULTS = ("ok", "404", "403", "500", "503", "truncate", "close", "slow", "hang", "corrupt", "redirect")

state_lock = threading.Lock()
log_lock = threading.Lock()
rule_hits = {}  # suffix -> how many requests the rule has matched since faults.json last changed
rules_digest = None


def read_rules_file(path):
    """The parsed faults.json ({} when absent). A file that is empty or not valid JSON may be half-written by a
    test that does not replace it atomically: read it again for up to ~100 ms before giving up on it."""
    for attempt in range(6):
        try:
            raw = open(path, "rb").read()
        except FileNotFoundError:
            return b"", {}
        try:
            data = json.loads(raw) if raw.strip() else None
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            return raw, data
        if attempt < 5:
            time.sleep(0.02)
    return raw, None


def load_rules(server):
    """ROOT/faults.json, read on every request: {"suffix": "fault"} or {"suffix": {"fault": f, "times": n}}."""
    global rules_digest
    path = os.path.join(server.root, "faults.json")
    raw, data = read_rules_file(path)
    digest = hashlib.sha256(raw).hexdigest()
    with state_lock:
        changed = digest != rules_digest
        if changed:
            rules_digest = digest
            rule_hits.clear()
    if data is None:
        if changed and raw.strip():
            warn(server, f"ignoring {path}: not a JSON object")
        return {}
    rules = {}
    for suffix, v in data.items():
        if isinstance(v, str):
            v = {"fault": v}
        if not isinstance(v, dict) or v.get("fault") not in FAULTS:
            if changed:
                warn(server, f"ignoring rule {suffix!r}: unknown fault {v!r}")
            continue
        rules[suffix] = v
    return rules


def warn(server, msg):
    if server.verbose:
        print(f"serve-repo: {msg}", file=sys.stderr, flush=True)


def rule_fault(server, path):
    """The fault faults.json assigns to `path` (longest matching suffix wins), or None."""
    rules = load_rules(server)
    matches = [s for s in rules if path.endswith(s)]
    if not matches:
        return None
    suffix = max(matches, key=len)
    rule = rules[suffix]
    with state_lock:
        n = rule_hits.get(suffix, 0) + 1
        rule_hits[suffix] = n
    times = rule.get("times")
    if times is not None and n > int(times):
        return None
    return rule["fault"]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "crossrun-serve-repo/1"

    def log_message(self, format, *args):
        if self.server.verbose:
            sys.stderr.write("serve-repo: %s - %s\n" % (self.address_string(), format % args))

    def log_request_line(self, status, fault):
        line = f"{self.command} {urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)} {status}"
        if fault and fault != "ok":
            line += f" fault={fault}"
        with log_lock:
            with open(self.server.log_path, "a") as fh:
                fh.write(line + "\n")

    def do_GET(self):
        self.handle_request(send_body=True)

    def do_HEAD(self):
        self.handle_request(send_body=False)

    def simple(self, status, message, fault, send_body, extra_headers=()):
        body = f"{status} {message}\n".encode()
        self.log_request_line(status, fault)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def handle_request(self, send_body):
        root = self.server.root
        url_path = urllib.parse.urlsplit(self.path).path
        parts = url_path.lstrip("/").split("/", 1)
        fault = "ok"
        rest = url_path.lstrip("/")
        if parts[0] in FAULTS:
            fault = parts[0]
            rest = parts[1] if len(parts) > 1 else ""
        rel = urllib.parse.unquote(rest)
        if fault == "ok":
            fault = rule_fault(self.server, "/" + rel) or "ok"

        if fault in ("404", "403", "500", "503"):
            self.close_connection = fault == "503"
            return self.simple(int(fault), "injected fault", fault, send_body)
        if fault == "redirect":
            location = "/ok/" + urllib.parse.quote(rel, safe="/+~")
            return self.simple(302, "Found", fault, send_body, [("Location", location)])

        full = os.path.realpath(os.path.join(root, rel))
        if not (full == root or full.startswith(root + os.sep)) or not os.path.isfile(full):
            return self.simple(404, "Not Found", fault if fault != "ok" else None, send_body)
        with open(full, "rb") as fh:
            data = fh.read()

        if fault == "hang":
            # Accept the request, answer nothing; bounded so a forgotten client cannot keep a thread forever.
            self.log_request_line(0, fault)
            deadline = time.monotonic() + self.server.hang_seconds
            while time.monotonic() < deadline:
                time.sleep(0.1)
            self.close_connection = True
            return

        self.log_request_line(200, fault)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(full))))
        if fault in ("truncate", "close"):
            self.send_header("Connection", "close")
        self.end_headers()
        if not send_body:
            return
        try:
            if fault == "truncate":
                # The full Content-Length was promised; send half and close cleanly (FIN).
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif fault == "close":
                # A few bytes, then a TCP reset (SO_LINGER 0 + close sends RST instead of FIN).
                self.wfile.write(data[: min(16, len(data) // 2)])
                self.wfile.flush()
                time.sleep(0.05)
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                fd = self.connection.detach()
                os.close(fd)
            elif fault == "slow":
                chunk = self.server.slow_chunk
                for i in range(0, len(data), chunk):
                    self.wfile.write(data[i: i + chunk])
                    self.wfile.flush()
                    if i + chunk < len(data):
                        time.sleep(self.server.slow_delay)
            elif fault == "corrupt":
                # Right length, one byte changed in the middle: only a hash check notices.
                if data:
                    mid = len(data) // 2
                    data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
                self.wfile.write(data)
            else:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)

    def shutdown_request(self, request):
        try:
            super().shutdown_request(request)
        except OSError:
            pass


def watch_stdin():
    try:
        while True:
            chunk = sys.stdin.buffer.read1(4096) if hasattr(sys.stdin.buffer, "read1") else sys.stdin.buffer.read(1)
            if not chunk:
                break
    except (OSError, ValueError):
        pass
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root")
    ap.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    ap.add_argument("--log", help="request log (default ROOT/requests.log)")
    ap.add_argument("--slow-chunk", type=int, default=1024, help="bytes per write in slow mode (default 1024)")
    ap.add_argument("--slow-delay", type=float, default=0.05, help="seconds between writes in slow mode (0.05)")
    ap.add_argument("--hang-seconds", type=float, default=30.0,
                    help="how long the hang fault holds a request before closing it (default 30)")
    ap.add_argument("--no-stdin-watch", action="store_true",
                    help="do not exit when stdin reaches end-of-file")
    ap.add_argument("--verbose", action="store_true", help="log requests and errors on stderr")
    args = ap.parse_args()

    root = os.path.realpath(args.root)
    if not os.path.isdir(root):
        print(f"serve-repo: error: {root} is not a directory", file=sys.stderr)
        sys.exit(2)
    server = Server(("127.0.0.1", args.port), Handler)
    server.root = root
    server.log_path = os.path.abspath(args.log) if args.log else os.path.join(root, "requests.log")
    server.slow_chunk = max(1, args.slow_chunk)
    server.slow_delay = args.slow_delay
    server.hang_seconds = args.hang_seconds
    server.verbose = args.verbose
    open(server.log_path, "a").close()

    sys.stdout.write(f"PORT {server.server_address[1]}\n")
    sys.stdout.flush()
    if not args.no_stdin_watch:
        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
