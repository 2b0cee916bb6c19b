"""The ``musubi`` command: one entry point for the demo, the server, workers and the tests."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from musubi.config import ConfigurationError


def _setup_django() -> None:
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["musubi manage", *args.rest])
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from musubi import demo

    _manage("migrate", "--no-input", "-v", "0")
    summary = demo.seed(force=args.force)
    print(summary.describe())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from waitress import serve

    from musubi.wsgi import application

    _manage("collectstatic", "--no-input", "-v", "0")
    print(f"Musubi is serving on http://{_url_host(args.host)}:{args.port}/", flush=True)
    serve(application, host=args.host, port=args.port, threads=args.threads, _quiet=True)
    return 0


def _url_host(host: str) -> str:
    """The host to show in the URL; loopback is shown as localhost, where passkeys work."""
    return "localhost" if host in ("0.0.0.0", "", "127.0.0.1") else host  # noqa: S104


def cmd_demo(args: argparse.Namespace) -> int:
    from musubi import demo

    _manage("migrate", "--no-input", "-v", "0")
    print("Preparing the demo city (the first run generates about 32,000 residents)…", flush=True)
    summary = demo.seed_if_empty()
    print(summary.describe(), flush=True)
    print(demo.logins_text(), flush=True)
    _start_embedded_worker()
    return cmd_serve(args)


def _start_embedded_worker() -> None:
    """Run queued background tasks (imports, sends) inside the demo process, in a thread."""
    import threading

    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"demo-{get_random_string(8)}",
        excluded_queue_names=[],
    )
    threading.Thread(target=worker.run, name="musubi-demo-worker", daemon=True).start()

    from musubi.platform.events import periodic
    from musubi.platform.notify import worker as notify_worker

    notify_worker.start()
    periodic.start()


def cmd_worker(args: argparse.Namespace) -> int:
    from musubi.platform.events import periodic
    from musubi.platform.notify import worker as notify_worker

    if args.once:
        notify_worker.run_once()
        periodic.run_due()
    else:
        notify_worker.start()  # the outbox lanes and the clock, in threads beside the task worker
        periodic.start()
    _run_task_worker(once=args.once)
    return 0


#: django-tasks-rq's job class: it runs a queued Task (a plain RQ job class would refuse it).
RQ_JOB_CLASS = "django_tasks_rq.backend.Job"


def _run_task_worker(*, once: bool) -> None:
    """The queue worker of the configured backend: RQ when Redis is set, else the database's."""
    from django.conf import settings

    if settings.REDIS_URL:
        # queues in priority order: an RQ worker empties the first before it looks at the next
        burst = ["--burst"] if once else []
        _manage("rqworker", *settings.TASK_QUEUES, "--job-class", RQ_JOB_CLASS, *burst)
        return
    batch = ["--batch", "--no-startup-delay", "--no-reload"] if once else []
    _manage("db_worker", "--queue-name", "*", *batch)


def cmd_audit(args: argparse.Namespace) -> int:
    from musubi.platform.audit import services

    outcome, _stored = services.run_verification()
    for problem in outcome.breaks:
        where = f"row {problem.record_id}" if problem.record_id is not None else "chain end"
        print(f"BROKEN {where} ({problem.kind}): {problem.problem}")
    if outcome.breaks:
        print(f"audit verify: {len(outcome.breaks)} problem(s) found", file=sys.stderr)
        return 1
    print(f"audit verify: the chain is intact ({outcome.checked} records)")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from musubi.devtools import testrun

    return testrun.main(args)


def cmd_config_docs(args: argparse.Namespace) -> int:
    import musubi.settings  # noqa: F401  (declares every setting)
    from musubi.config import render_markdown

    text = render_markdown()
    if args.stdout:
        sys.stdout.write(text)
    else:
        target = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
        target.write_text(text)
        print(f"wrote {target}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musubi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    for name, handler, helptext in [
        ("demo", cmd_demo, "migrate, seed the demo city if empty, and serve it"),
        ("serve", cmd_serve, "serve the web application"),
    ]:
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--threads", type=int, default=8)
        p.set_defaults(handler=handler, django=True)

    p = sub.add_parser("seed-demo", help="generate the synthetic Komagane (idempotent)")
    p.add_argument("--force", action="store_true", help="regenerate even if data exists")
    p.set_defaults(handler=cmd_seed_demo, django=True)

    p = sub.add_parser("worker", help="run background tasks and scheduled sends")
    p.add_argument("--once", action="store_true", help="run what is queued, then stop")
    p.set_defaults(handler=cmd_worker, django=True)

    p = sub.add_parser("manage", help="Django management commands", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=cmd_manage, django=False)

    p = sub.add_parser("audit", help="audit trail tools")
    p.add_argument("action", choices=["verify"])
    p.set_defaults(handler=cmd_audit, django=True)

    p = sub.add_parser("config-docs", help="regenerate docs/configuration.md")
    p.add_argument("--stdout", action="store_true", help="print instead of writing the file")
    p.set_defaults(handler=cmd_config_docs, django=False)

    p = sub.add_parser("test", help="run the whole test suite (every leg)")
    p.add_argument("--all", action="store_true", help="fail if any leg cannot run")
    p.add_argument("--leg", action="append", help="run only this leg (repeatable)")
    p.add_argument(
        "--jobs", type=int, default=2, help="pytest legs run side by side (1: one after another)"
    )
    p.add_argument("pytest_args", nargs="*", help="extra arguments for pytest legs")
    p.set_defaults(handler=cmd_test, django=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musubi.settings")
    try:
        if args.django:
            _setup_django()
        return args.handler(args) or 0
    except ConfigurationError as exc:
        print(f"musubi: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
