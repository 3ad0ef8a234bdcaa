"""Portal page weights (KB of HTML, and the one stylesheet) on the shipped Pekalongan cycle.

    python bench/portal.py [--json]

Not measured yet: the time of a 47-row template upload and import through the page."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="spbe-bench-portal-"))
    os.environ.update(
        SPBE_DATA_DIR=str(tmp),
        SPBE_DATABASE_URL=f"sqlite:///{tmp / 'spbe.db'}",
        SPBE_TEMPLATE_SECRET="bench-secret-of-enough-length",
        SPBE_NOW="2025-09-10T10:00:00+07:00",
    )
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from spbe.portal.app import create_app
    from spbe.portal.links import issue_link, link_for
    from spbe.services.cycles import current_cycle
    from spbe.store.db import session_scope
    from tests.utils.intake import loaded_store

    engine = loaded_store(os.environ["SPBE_DATABASE_URL"])
    with session_scope(engine) as session:
        cycle = current_cycle(session)
        urls = {
            "opd (DINKOMINFO, 37 indicators)": link_for(session, cycle, "adm-dinkominfo"),
            "assessor (asr-03)": link_for(session, cycle, "asr-03"),
            "coordinator": issue_link(
                session, cycle=cycle, actor="koordinator", kind="coordinator", subject="koordinator"
            ).url,
        }
    app = create_app()
    weights = {}
    for name, url in urls.items():
        client = TestClient(app)
        page = client.get("/masuk/" + url.rsplit("/", 1)[-1])
        weights[name] = round(len(page.content) / 1024, 1)
    weights["portal.css"] = round(len(TestClient(app).get("/portal.css").content) / 1024, 1)
    with Session(engine):
        pass
    if "--json" in sys.argv:
        print(json.dumps({"page_kb": weights}, indent=2))
    else:
        for name, kb in weights.items():
            print(f"{name:35} {kb:6.1f} KB")


if __name__ == "__main__":
    main()
