"""Run one peer in its own process: ``python -m musubi.devtools.peers line|sms|webpush [--port N]``.

Prints one JSON line with the URL and credentials once listening, serves until standard input
closes, then prints one JSON line with how many requests it accepted (for benchmarks that run
the outbox workers as separate processes).
"""

from __future__ import annotations

import argparse
import json
import sys

from musubi.devtools.peers.line import LinePeer
from musubi.devtools.peers.server import Peer
from musubi.devtools.peers.sms import SmsPeer
from musubi.devtools.peers.webpush import WebPushPeer


def _describe(peer: Peer) -> dict:
    found = {"url": peer.url}
    for name in ("token", "account_sid", "auth_token"):
        if hasattr(peer, name):
            found[name] = getattr(peer, name)
    return found


def _recipients(record: dict) -> int:
    """Recipients of one accepted request: a LINE multicast's ``to`` list, else one."""
    body = record.get("body")
    to = body.get("to") if isinstance(body, dict) else None
    return len(to) if isinstance(to, list) else 1


def main() -> None:
    peers = {"line": LinePeer, "sms": SmsPeer, "webpush": WebPushPeer}
    parser = argparse.ArgumentParser(prog="python -m musubi.devtools.peers")
    parser.add_argument("peer", choices=sorted(peers))
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    args = parser.parse_args()
    peer = peers[args.peer]().start(port=args.port)
    try:
        print(json.dumps(_describe(peer)), flush=True)
        sys.stdin.read()
        with peer.lock:
            accepted = list(peer.accepted)
    finally:
        peer.stop()
    recipients = sum(_recipients(record) for record in accepted)
    print(json.dumps({"accepted": len(accepted), "recipients": recipients}), flush=True)


if __name__ == "__main__":
    main()
