"""Every table's rows, to compare the database before and after a request that must write nothing."""

from __future__ import annotations

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

# Bookkeeping that a refused request may touch without writing anything of a person's.
IGNORED = frozenset({"alembic_version", "apscheduler_jobs"})
# A modal submission's answer, kept by view id so a repeat of it gets the same answer (`store/submissions.py`):
# a record of the request, not a write of anything in it.
BOOKKEEPING = frozenset({"view_submission"})


def dump(engine: Engine, *, bookkeeping: bool = False, meta: MetaData | None = None) -> dict[str, list[tuple]]:
    """table -> its rows (as sorted reprs, so the order rows come back in does not matter); without the
    BOOKKEEPING tables unless asked. `meta`: the tables, reflected once (`reflect(engine)`) when dumping often."""
    meta = meta if meta is not None else reflect(engine)
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name in IGNORED or (name in BOOKKEEPING and not bookkeeping):
                continue
            out[name] = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
    return out


def reflect(engine: Engine) -> MetaData:
    meta = MetaData()
    meta.reflect(bind=engine)
    return meta
