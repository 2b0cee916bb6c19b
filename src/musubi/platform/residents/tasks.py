"""Background work of the registry: CSV imports started from the staff page."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from musubi.platform.residents import importers
from musubi.platform.residents.models import ImportJob, JobStatus

MAX_REPORTED_ERRORS = 2000
log = logging.getLogger(__name__)


@task()
def run_import(job_id: int) -> None:
    """Check the job's file (progress saved as it goes), then write it unless it is a dry run.

    Progress is saved outside the write transaction so the job page can show it; the
    write itself is one transaction, so a failure leaves the registry untouched.
    """
    job = ImportJob.objects.get(pk=job_id)
    if not job.running:
        return
    try:
        _run(job)
    except Exception:
        log.exception("registry import %s failed", job_id)
        _update(
            job,
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            content=b"",
            errors=[importers.problem(0, "", "internal").as_dict()],
        )
        raise


def _run(job: ImportJob) -> None:
    _update(job, status=JobStatus.VALIDATING)

    def progress(done: int, total: int) -> None:
        _update(job, done=done, total=total)

    checked = importers.check(bytes(job.content), progress)
    counts = {
        "residents": len(checked.rows),
        "households": len({row.household_number for row in checked.rows}),
    }
    error_count = len(checked.errors)
    if not checked.errors and not job.dry_run:
        _update(job, status=JobStatus.WRITING)
        counts = importers.write_rows(checked.rows).counts()
    counts["errors"] = error_count
    _update(
        job,
        status=JobStatus.FAILED if checked.errors else JobStatus.SUCCEEDED,
        total=checked.total,
        done=checked.total,
        counts=counts,
        errors=[e.as_dict() for e in checked.errors[:MAX_REPORTED_ERRORS]],
        finished_at=timezone.now(),
        content=b"",
    )


def _update(job: ImportJob, **fields) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)
