"""A stand-in syslog collector for the Molecule scenario: appends every line received over TCP
to a file. Runs inside the test container on 127.0.0.1 (the scenario's syslog server)."""

import socketserver
import sys

PORT, CAPTURE = int(sys.argv[1]), sys.argv[2]


class Lines(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        with open(CAPTURE, "ab", buffering=0) as out:
            for line in self.rfile:
                out.write(line)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", PORT), Lines).serve_forever()
