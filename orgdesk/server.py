"""Production serving with gunicorn; static files through WhiteNoise."""

import sys


def serve(*, host: str, port: int, workers: int = 2) -> None:
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "orgdesk.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]
    run()
