"""One process that serves the web app and runs in-process worker threads (``recovery serve``,
the demo): the embedded default, stopped cleanly by SIGTERM or SIGINT."""
import logging
import signal
import threading


def stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def serve_app(config: dict, host: str, port: int, workers: int | None, ready=None) -> None:
    from werkzeug.serving import make_server

    from connector.jobs.worker import start_threads
    from connector.runtime import settle_heap
    from connector.web.app import create_app

    app = create_app(config)
    settle_heap()
    stop = threading.Event()
    start_threads(app.extensions["recovery"], workers or int(config["WORKER_THREADS"]), stop)
    server = make_server(host, port, app, threaded=True)
    logging.getLogger(__name__).info("serving on http://%s:%s", host, server.server_port)
    if ready is not None:
        ready(app, server)
    stop_on_signals(stop)
    threading.Thread(target=lambda: (stop.wait(), server.shutdown()), daemon=True).start()
    server.serve_forever()
