"""Pictures and websocket messages without a 40 ms wait: TCP_NODELAY on the server's sockets.

Streamlit binds its listening socket itself, as ``socket.socket(AF_INET, SOCK_STREAM)`` with
protocol number 0, and asyncio turns Nagle's algorithm off (TCP_NODELAY) only for sockets
whose protocol number is IPPROTO_TCP. So every connection the server accepts keeps Nagle: a
reply written in two parts (the headers, then the body: each picture fetched on a kept-alive
connection) waits for the browser's delayed ACK, about 40 ms, before its second part leaves.
Setting TCP_NODELAY on the listening socket (Linux hands the option to every connection it
accepts later) and on the connections already open removes that wait; bench/results/ has the
measurement. Once per process, from app.py.
"""

from __future__ import annotations

import os
import socket
import threading

_LOCK = threading.Lock()
_DONE = False


def tcp_nodelay() -> int:
    """Turn Nagle's algorithm off on this process's TCP sockets, once; how many were set.

    Each open socket is reached through a duplicate of its descriptor (an option belongs to
    the socket, whichever descriptor sets it), so nothing of the server's is touched but the
    option, and no object scan is needed (``gc.get_objects`` took a tenth of a second of the
    first page's time)."""
    global _DONE
    with _LOCK:
        if _DONE:
            return 0
        _DONE = True
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            with socket.socket(fileno=os.dup(int(name))) as sock:  # closes the duplicate only
                if sock.family in (socket.AF_INET, socket.AF_INET6) and \
                        sock.type == socket.SOCK_STREAM:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    count += 1
        except (OSError, ValueError):
            pass  # closed meanwhile, or not a socket this can set
    return count
