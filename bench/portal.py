"""Portal page weights (KB of HTML, and the one stylesheet) and the time of a template upload and import
through the page.

    python bench/portal.py [--json] [--runs N]

Weights: the OPD, assessor and coordinator pages on the shipped Pekalongan 2025 cycle (47 indicators), and
the OPD and assessor pages on a Pemdi 2026 cycle (the shipped catalog, tests/utils/pemdi.py). Time: a
filled 47-row template (every indicator given to DINKOMINFO in this store) posted to /opd/impor and
imported as a real flow run on a local Prefect test server, a fresh store each run; median of N runs
(default 3). The machine's load average is printed with the figures: on a shared machine it is half the
story."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SECRET = "bench-secret-of-enough-length"


def _store(tmp: Path):
    from tests.utils.intake import loaded_store

    tmp.mkdir(parents=True, exist_ok=True)
    os.environ.update(SPBE_DATA_DIR=str(tmp), SPBE_DATABASE_URL=f"sqlite:///{tmp / 'spbe.db'}")
    from spbe.settings import get_settings

    get_settings.cache_clear()
    return loaded_store(os.environ["SPBE_DATABASE_URL"])


def _kb(client, url: str, page: str | None = None) -> float:
    response = client.get("/masuk/" + url.rsplit("/", 1)[-1])
    if page is not None:
        response = client.get(page)
    assert response.status_code == 200, response.text[:300]
    return round(len(response.content) / 1024, 1)


def weights(tmp: Path) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from spbe.portal.app import create_app
    from spbe.portal.links import issue_link, link_for
    from spbe.services.cycles import current_cycle
    from spbe.store.db import session_scope

    engine = _store(tmp / "2025")
    with session_scope(engine) as session:
        cycle = current_cycle(session)
        urls = {
            "2025 opd (DINKOMINFO, 37 indicators)": link_for(session, cycle, "adm-dinkominfo"),
            "2025 assessor (asr-03)": link_for(session, cycle, "asr-03"),
            "2025 coordinator": issue_link(
                session, cycle=cycle, actor="koordinator", kind="coordinator", subject="koordinator"
            ).url,
        }
    app = create_app()
    out = {name: _kb(TestClient(app), url) for name, url in urls.items()}
    out["portal.css"] = round(len(TestClient(app).get("/portal.css").content) / 1024, 1)

    from spbe.settings import get_settings
    from tests.utils.pemdi import pemdi_store

    folder = tmp / "2026"
    folder.mkdir()
    os.environ.update(SPBE_DATA_DIR=str(folder), SPBE_DATABASE_URL=f"sqlite:///{folder / 'spbe.db'}")
    get_settings.cache_clear()
    engine = pemdi_store(os.environ["SPBE_DATABASE_URL"], folder)
    with session_scope(engine) as session:
        cycle = current_cycle(session)
        urls = {
            "pemdi opd (DINKOMINFO, 196 items)": link_for(session, cycle, "adm-dinkominfo"),
            "pemdi opd (BAPPERIDA, 14 items)": link_for(session, cycle, "adm-bapperida"),
            "pemdi assessor (asr-03)": link_for(session, cycle, "asr-03"),
        }
    app = create_app()
    out |= {name: _kb(TestClient(app), url) for name, url in urls.items()}
    return out


def upload_seconds(tmp: Path) -> tuple[float, int, float]:
    """One upload + import of a filled 47-row template through /opd/impor: seconds, rows imported, and the
    KB of that OPD's page afterwards (47 indicators, each with a version and a link)."""
    from fastapi.testclient import TestClient
    from sqlmodel import select

    from spbe.portal.app import create_app
    from spbe.portal.links import link_for
    from spbe.services.cycles import current_cycle
    from spbe.store import models as m
    from spbe.store.db import session_scope
    from tests.utils.xlsx import fill

    engine = _store(tmp)
    with session_scope(engine) as session:
        for a in session.exec(select(m.Assignment)):
            a.owner_opd = "DINKOMINFO"
        url = link_for(session, current_cycle(session), "adm-dinkominfo")
    client = TestClient(create_app(), follow_redirects=False)
    client.get("/masuk/" + url.rsplit("/", 1)[-1])
    page = client.get("/opd").text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    template = tmp / "templat.xlsx"
    template.write_bytes(client.get("/opd/templat").content)
    fill(template, {n: {"level": 1 + n % 5, "evidence": f"https://bukti.example/{n}.pdf"} for n in range(1, 48)})
    data = template.read_bytes()
    started = time.perf_counter()
    response = client.post("/opd/impor", data={"csrf": csrf}, files={"berkas": ("templat.xlsx", data)})
    seconds = time.perf_counter() - started
    assert response.status_code == 303 and "impor" in response.headers["location"], response.text[:500]
    with session_scope(engine) as session:
        rows = len(session.exec(select(m.Submission)).all())
    return seconds, rows, round(len(client.get("/opd").content) / 1024, 1)


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    tmp = Path(tempfile.mkdtemp(prefix="spbe-bench-portal-"))
    os.environ.update(SPBE_TEMPLATE_SECRET=SECRET, SPBE_NOW="2025-09-10T10:00:00+07:00")
    load_before = os.getloadavg()
    page_kb = weights(tmp / "weights")
    os.environ["SPBE_NOW"] = "2025-09-10T10:00:00+07:00"
    from prefect.testing.utilities import prefect_test_harness

    times, rows, answered_kb = [], 0, 0.0
    with prefect_test_harness(server_startup_timeout=120):
        for run in range(runs):
            seconds, rows, answered_kb = upload_seconds(tmp / f"upload-{run}")
            times.append(round(seconds, 3))
    result = {
        "page_kb": page_kb,
        "page_kb_answered": {"2025 opd with 47 indicators answered": answered_kb},
        "upload_import_47_rows": {"runs_s": times, "median_s": statistics.median(times), "rows": rows},
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "cpus": os.cpu_count(),
    }
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2))
        return
    for name, kb in page_kb.items():
        print(f"{name:40} {kb:7.1f} KB")
    print(f"{'2025 opd, 47 indicators answered':40} {answered_kb:7.1f} KB")
    up = result["upload_import_47_rows"]
    print(f"upload + import, {up['rows']} rows: median {up['median_s']:.2f} s over {runs} runs {up['runs_s']}")
    print(f"load average before {result['load_average']['before']}, after {result['load_average']['after']}")


if __name__ == "__main__":
    main()
