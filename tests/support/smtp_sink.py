#!/usr/bin/env python3
"""A real SMTP server for the outgoing-mail tests (tests/api/mail_out.rs) and the mail bench.

    python3 tests/support/smtp_sink.py --dir DIR [--port N] [--fail-first N]

Listens on 127.0.0.1 (aiosmtpd), port N or, with 0 (the default), a free one: the port is the
first line of stdout. Every message accepted is written whole, as received, to DIR as
`<sequence>-<random>.eml` (a temp file renamed into place, so a reader never sees half a
message). With --fail-first N the first N transactions are answered `451 4.3.0` at DATA
(a transient failure: the sender must retry). Stops on SIGTERM/SIGINT. Loopback only; no
TLS, no AUTH.
"""

import argparse
import asyncio
import itertools
import os
import signal
import socket
import sys
import uuid

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder, fail_first):
        self.folder = folder
        self.fail_left = fail_first
        self.sequence = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 Sink is told to fail this transaction, try again later"
        name = "%06d-%s.eml" % (next(self.sequence), uuid.uuid4().hex[:8])
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.replace(tmp, os.path.join(self.folder, name))
        return "250 2.0.0 OK " + name


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="folder for received messages")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--fail-first", type=int, default=0, help="answer 451 to the first N")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("smtp_sink: loopback only")
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir, args.fail_first)

    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    sock.setblocking(False)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, enable_SMTPUTF8=True, decode_data=False, hostname="smtp-sink.test"),
        sock=sock,
    )
    print(sock.getsockname()[1], flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
