"""``alletra-sim``: run one simulated array until SIGTERM or SIGINT."""

import argparse
import signal
import sys
import threading

from .personas import PERSONAS
from .simulator import Simulator


def _listen(value):
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % value)
    return host.strip("[]") or "127.0.0.1", int(port)


def build_parser():
    parser = argparse.ArgumentParser(prog="alletra-sim", description="HPE 3PAR/Primera/Alletra WSAPI v1 simulator")
    parser.add_argument("--listen", type=_listen, default=("127.0.0.1", 8443), help="HOST:PORT (default 127.0.0.1:8443)")
    parser.add_argument("--tls-dir", help="directory for ca.pem, server.pem, server.key (created if missing)")
    parser.add_argument("--user", default="3paradm")
    parser.add_argument("--password", default="3pardata")
    parser.add_argument("--state-file", help="JSON file the state is loaded from and saved to after each change")
    parser.add_argument("--persona", choices=sorted(PERSONAS), default="alletra-mp")
    parser.add_argument("--insecure-http", action="store_true", help="plain HTTP instead of HTTPS")
    parser.add_argument("--session-idle-timeout", type=float, default=900.0, metavar="S")
    parser.add_argument("--session-limit", type=int, default=64, metavar="N")
    parser.add_argument("--task-seconds", type=float, default=1.0, metavar="S")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="keep each volume's data in a sparse file DIR/<volume id>.img (created if missing)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not args.insecure_http and not args.tls_dir:
        build_parser().error("--tls-dir is required unless --insecure-http is given")
    host, port = args.listen
    simulator = Simulator(host=host, port=port, tls_dir=args.tls_dir, user=args.user, password=args.password,
                          persona=args.persona, state_file=args.state_file, tls=not args.insecure_http,
                          session_idle_timeout=args.session_idle_timeout, session_limit=args.session_limit,
                          task_seconds=args.task_seconds, data_dir=args.data_dir)
    stop = threading.Event()

    def _on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        simulator.start()
    except OSError as err:
        print("alletra-sim: cannot listen on %s:%d: %s" % (host, port, err), file=sys.stderr)
        return 1
    line = "alletra-sim listening on %s (persona %s)" % (simulator.url, simulator.persona)
    if simulator.ca_path:
        line += " CA %s" % simulator.ca_path
    print(line, flush=True)
    while not stop.wait(0.5):
        pass
    simulator.stop()
    print("alletra-sim stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
