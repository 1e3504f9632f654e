"""The service's registry (oversight/registry.py) and the domain's list of case types
(domain/registry.py) name the same types, each once; every view and router is used."""

from __future__ import annotations

from domain.registry import ALL_CASE_TYPES
from oversight.registry import CASE_TYPES, case_routers, case_views
from oversight.runtime import views


def test_the_service_runs_exactly_the_domains_case_types() -> None:
    registered = [r.case_type.name for r in CASE_TYPES]
    assert len(registered) == len(set(registered))
    assert sorted(registered) == sorted(t.name for t in ALL_CASE_TYPES)


def test_every_registered_view_is_run_and_every_router_serves_its_case_type() -> None:
    run = {v.name for v in views()}
    assert {v.name for v in case_views()} <= run
    served = {route.path for router in case_routers() for route in router.routes}
    for registered in CASE_TYPES:
        if registered.router is not None:
            path = f"/api/v1/{registered.case_type.plural}/{{case_id:uuid}}"
            assert path in served, registered.case_type.name


def test_the_views_and_rebuild_load_without_the_api() -> None:
    """`oversight rebuild` and its workers take the views from the composition root;
    importing the API with them cost each process about 20 MiB (docs/performance.md)."""
    import subprocess
    import sys

    code = (
        "import sys, oversight.rebuild, oversight.runtime\n"
        "oversight.runtime.views()\n"
        "loaded = sorted(m for m in sys.modules if m == 'litestar' or m.startswith('api.'))\n"
        "print(' '.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "litestar" not in out.stdout.split()
    assert not {"api.app", "api.cases", "api.complaints"} & set(out.stdout.split())
