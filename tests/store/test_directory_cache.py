"""The directory cache loads once per process and roster version: concurrent requests on a cold cache share one
load, and a new version loads in the background while the previous one keeps answering."""

from __future__ import annotations

import threading

import pytest

import store.directory
from store.db import session_scope
from store.directory import DirectoryCache
from tests.store.roster_helpers import BASE, edit, run_import

SAFETY = 10  # seconds: only reached if the behaviour under test is broken (the test then fails, not hangs)


def _get(cache: DirectoryCache, engine):
    with session_scope(engine) as s:
        return cache.get(session=s)


def _in_threads(count: int, target) -> list:
    results: list = [None] * count
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SAFETY * 2)
    assert not errors, errors
    return results


@pytest.fixture
def loads(monkeypatch):
    """Every load_directory call, by thread name; `hold` (an Event) keeps loads waiting until it is set."""
    real = store.directory.load_directory
    calls: list[str] = []
    hold: list = []

    def counted(*, session):
        calls.append(threading.current_thread().name)
        for gate in hold:
            gate()
        return real(session=session)

    monkeypatch.setattr(store.directory, "load_directory", counted)
    counted.calls, counted.hold = calls, hold  # type: ignore[attr-defined]
    return counted


def test_eight_threads_on_a_cold_cache_load_once(engine, loads):
    run_import(engine, BASE)
    cache = DirectoryCache()

    def until_the_others_wait() -> None:  # the load is held until the 7 other threads are waiting for it
        with cache._cond:
            cache._cond.wait_for(lambda: cache.waiting >= 7, timeout=SAFETY)

    loads.hold.append(until_the_others_wait)
    results = _in_threads(8, lambda: _get(cache, engine))
    assert len(loads.calls) == 1 and cache.loads == 1
    assert results[0] is not None and all(r is results[0] for r in results)
    assert results[0].by_email("fac@a.example") is not None


def test_a_new_version_loads_in_the_background_while_the_old_one_serves(engine, loads):
    run_import(engine, BASE)
    cache = DirectoryCache(recheck_seconds=0)  # check the version on every request
    old = _get(cache, engine)
    run_import(engine, edit(BASE, ("{email: mem2@a.example, name: Mem Two}", "{email: mem2@a.example, name: Mo Two}")))

    entered, gate = threading.Event(), threading.Event()

    def held() -> None:
        entered.set()
        gate.wait(SAFETY)

    loads.hold.append(held)
    served = _in_threads(8, lambda: _get(cache, engine))
    assert all(d is old for d in served)  # nobody waited for the new version ...
    assert entered.wait(SAFETY) and cache.reloading
    assert loads.calls[1:] == ["directory-reload"]  # ... which one thread is loading
    gate.set()
    new = cache.wait_for_reload(SAFETY)
    assert new is not old and new.by_email("mem2@a.example").name == "Mo Two"
    assert _get(cache, engine) is new and cache.loads == 2 and len(loads.calls) == 2
    assert not cache.reloading


def test_a_failed_load_is_the_caller_s_error_and_the_next_request_loads(engine, loads):
    run_import(engine, BASE)
    cache = DirectoryCache()

    def fail_once() -> None:
        if len(loads.calls) == 1:
            raise RuntimeError("database went away")

    loads.hold.append(fail_once)
    with pytest.raises(RuntimeError):
        _get(cache, engine)
    assert _get(cache, engine).by_email("fac@a.example") is not None
    assert len(loads.calls) == 2 and cache.loads == 1


def test_forget_drops_a_load_that_began_before_it(engine, loads):
    run_import(engine, BASE)
    cache = DirectoryCache(recheck_seconds=0)
    _get(cache, engine)
    run_import(engine, edit(BASE, ("name: Mem Two}", "name: Mo Two}")))
    gate = threading.Event()
    loads.hold.append(lambda: gate.wait(SAFETY))
    _get(cache, engine)  # starts the background load, held
    cache.forget()
    gate.set()
    loads.hold.clear()
    fresh = _get(cache, engine)  # a cold load of its own, not the held one
    assert fresh.by_email("mem2@a.example").name == "Mo Two"


def test_a_big_directory_is_kept_out_of_the_collector_s_way(engine):
    """Every collection of a generation holding the all-US directory walked its 430,000 objects (300 ms, every
    thread held); frozen after loading, they are never walked, and still freed when a new version replaces them."""
    import gc

    from bench.rostergen import generate
    from store.roster import import_roster, parse_yaml

    gc.collect()
    gc.unfreeze()
    try:
        run_import(engine, BASE)
        _get(DirectoryCache(), engine)
        assert gc.get_freeze_count() == 0  # a small roster: left to the collector as usual
        import_roster(parse_yaml(generate("us", districts=1_300)), engine=engine)  # ~9,700 people
        big = _get(DirectoryCache(), engine)
        assert len(big.people) > 9_000 and gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()


def test_a_starting_server_loads_the_directory_before_its_first_request(engine, loads, caplog, tmp_path):
    run_import(engine, BASE)
    cache = DirectoryCache()
    cache.warm(engine)
    assert len(loads.calls) == 1 and cache.loads == 1
    _get(cache, engine)
    assert len(loads.calls) == 1  # the first request found it loaded

    from store.db import make_engine

    down = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")  # cannot even be created
    DirectoryCache().warm(down)  # logged, not raised: the first request will load it
    assert "could not load the directory at start" in caplog.text
    down.dispose()
