"""Two `cstbot worker` processes started at the same moment on a new database (as the fault bench does) both
run: the scheduler's job store table is created once, and the process that lost the race starts again."""

from __future__ import annotations

from tests.standin import SlackStandIn


def test_two_workers_starting_together_on_a_new_database_both_run(engine, monkeypatch) -> None:
    """The bench's two `cstbot worker` on a fresh database: both created the scheduler's job store table, and
    on PostgreSQL the slower CREATE TABLE failed; that worker died at start. Now it starts again and runs."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from sqlalchemy.exc import IntegrityError

    from bot.delivery import scheduler as scheduler_module
    from tests.e2e.conftest import make_deps

    real_start, starts = SQLAlchemyJobStore.start, []

    def raced_start(self, scheduler, alias):
        starts.append(alias)
        if len(starts) == 1:  # the other worker's CREATE TABLE won: the table is there, ours failed
            real_start(self, scheduler, alias)
            raise IntegrityError("CREATE TABLE apscheduler_jobs", {}, Exception("duplicate key value violates "
                                                                               "unique constraint"))
        return real_start(self, scheduler, alias)

    monkeypatch.setattr(SQLAlchemyJobStore, "start", raced_start)
    with SlackStandIn() as slack:
        deps = make_deps(engine, slack)
        started = scheduler_module.start_scheduler(deps, paused=True)
        try:
            assert len(starts) == 2
            assert {job.id for job in started.get_jobs()} == set(scheduler_module.JOBS)
        finally:
            started.shutdown(wait=False)
