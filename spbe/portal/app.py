"""The portal's FastAPI application: thin routes over the services the CLI uses, server-rendered pages.

Who is asking comes only from the session cookie set by a personal link (spbe.portal.links); the actor of
every change is the person the link was made for. Uploads and imports run as Prefect flow runs
(flows/portal.py). Every response carries CSP with frame-ancestors 'none', no-referrer and no-store; the
access log never shows a link token; no route lists a folder or takes a path from a person."""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from spbe import clock
from spbe.errors import InputError, RefusedError, SpbeError, Unavailable
from spbe.portal import item_views, links, views, web
from spbe.portal.answers import (
    MAX_FILE_BYTES,
    MAX_TEMPLATE_BYTES,
    answer,
    answer_item,
    check_name,
    may_read_file,
)
from spbe.portal.problems import problem_rows
from spbe.settings import get_settings
from spbe.store.db import get_engine, require_schema, session_scope

HERE = Path(__file__).parent
log = logging.getLogger("spbe.portal")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
FILE_CSP = "default-src 'none'; frame-ancestors 'none'; object-src 'self'"
HOME = {"opd": "/opd", "assessor": "/asesor", "coordinator": "/koordinator"}
INLINE = {"application/pdf", "image/png", "image/jpeg", "image/webp"}


class Viewer:
    def __init__(self, cycle, claims, session_data: web.SessionData) -> None:
        self.cycle, self.claims, self.session = cycle, claims, session_data
        self.kind, self.subject, self.actor = claims.kind, claims.subject, claims.person


def _links_of(form) -> list[str]:
    """The links typed one per line, then the ones kept from the previous version (checkboxes)."""
    typed = [x.strip() for x in str(form.get("tautan") or "").splitlines() if x.strip()]
    return typed + [str(x) for x in form.getlist("simpan") if isinstance(x, str)]


def _text_of(form, field: str) -> str | None:
    """A free-text field, None when left empty."""
    return str(form.get(field) or "").strip() or None


def create_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    pages = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["j2"]))
    prefix = urlsplit(get_settings().portal_base_url).path.rstrip("/")
    secure = get_settings().portal_base_url.startswith("https://")
    opening = web.RateLimit(30, 60, "percobaan membuka tautan")
    sending = web.RateLimit(20, 60, "kiriman")
    css = (HERE / "static" / "portal.css").read_bytes()

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        html = pages.get_template(name).render(prefix=prefix, **ctx)
        return HTMLResponse(html, status_code=status)

    def message(title: str, text: str, status: int, hint: str | None = None, tone: str = "bad", **ctx) -> HTMLResponse:
        return page("message.html.j2", status, title=title, text=text, hint=hint, tone=tone, **ctx)

    def go(path: str, notice: str | None = None) -> RedirectResponse:
        # only our own fixed paths: never a location taken from the request (no open redirect)
        where, _, anchor = path.partition("#")  # the notice before the anchor, or the browser never sends it
        query = f"?ok={notice}" if notice else ""
        return RedirectResponse(prefix + where + query + (f"#{anchor}" if anchor else ""), status_code=303)

    @app.middleware("http")
    async def headers_and_log(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        path = request.url.path
        shown = path if not path.startswith(prefix + links.ENTRY_PATH) else prefix + links.ENTRY_PATH + "…"
        log.info(
            "%s %s %s %.0f ms", request.method, shown, response.status_code, (time.perf_counter() - started) * 1000
        )
        return response

    @app.exception_handler(links.LinkRefused)
    async def refused_link(request: Request, exc: links.LinkRefused):
        response = message(
            "Tautan tidak berlaku",
            str(exc),
            410 if exc.reason == "expired" else 403,
            hint="Mintalah tautan baru kepada koordinator SPBE.",
        )
        response.delete_cookie(web.COOKIE, path=prefix or "/")
        return response

    @app.exception_handler(web.TooMany)
    async def too_many(request: Request, exc: web.TooMany):
        response = message("Terlalu sering", str(exc), 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(web.TooLarge)
    async def too_large(request: Request, exc: web.TooLarge):
        response = message("Berkas terlalu besar", str(exc), 413)
        response.headers["Connection"] = "close"
        return response

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable):
        return message(
            "Sedang tidak tersedia", "Penyimpanan atau server Prefect sedang tidak menjawab; coba lagi.", 503
        )

    @app.exception_handler(RefusedError)
    async def refused(request: Request, exc: RefusedError):
        return message("Ditolak", str(exc), 403)

    @app.exception_handler(SpbeError)
    async def bad_input(request: Request, exc: SpbeError):
        problems = exc.problems if isinstance(exc, InputError) else [str(exc)]
        return page(
            "message.html.j2",
            400,
            title="Belum tersimpan",
            text="",
            problems=problems,
            problem_rows=problem_rows(problems),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return message(
            "Tidak ditemukan" if exc.status_code == 404 else "Tidak dapat diproses",
            "Halaman ini tidak ada." if exc.status_code == 404 else str(exc.detail),
            exc.status_code,
        )

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.error("portal: internal error %s", exc.__class__.__name__)
        return message("Kesalahan internal", "Terjadi kesalahan di server; coba lagi atau hubungi koordinator.", 500)

    def viewer(request: Request, *kinds: str) -> Viewer:
        key = links.signing_key()
        data = web.unseal(request.cookies.get(web.COOKIE), key) if key else None
        if data is None:
            raise links.LinkRefused("none", "Anda belum masuk: buka tautan pribadi dari pesan pengingat Anda.")
        with Session(require_schema()) as session:
            cycle, claims = links.open_link(session, data.token)
        if kinds and claims.kind not in kinds:
            raise StarletteHTTPException(404)
        return Viewer(cycle, claims, data)

    @app.get("/portal.css")
    def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        key = links.signing_key()
        data = web.unseal(request.cookies.get(web.COOKIE), key) if key else None
        if data is not None:
            try:
                with Session(require_schema()) as session:
                    _, claims = links.open_link(session, data.token)
                return go(HOME[claims.kind])
            except links.LinkRefused:
                pass
        return message(
            "Portal Evaluasi SPBE",
            "Buka tautan pribadi yang ada di pesan pengingat atau pemberitahuan Anda.",
            200,
            tone="",
        )

    @app.get(links.ENTRY_PATH + "{token}")
    def enter(token: str, request: Request):
        opening.hit(request.client.host if request.client else "-")
        with Session(require_schema()) as session:
            _, claims = links.open_link(session, token)
        response = go(HOME[claims.kind])
        key = links.signing_key()
        assert key is not None
        response.set_cookie(
            web.COOKIE,
            web.seal(web.new_session(token), key),
            httponly=True,
            samesite="lax",
            secure=secure,
            path=prefix or "/",
        )
        return response

    @app.get("/keluar")
    def leave():
        response = message("Sudah keluar", "Buka lagi tautan pribadi Anda untuk masuk.", 200, tone="ok")
        response.delete_cookie(web.COOKIE, path=prefix or "/")
        return response

    def notice_of(request: Request) -> str | None:
        return {
            "tersimpan": "Tersimpan.",
            "impor": "Templat diimpor.",
            "sama": "Tidak ada perubahan: isinya sama dengan versi terakhir.",
            "diingatkan": "Pengingat masuk antrean pengiriman.",
            "sasaran": "Tingkat sasaran tercatat.",
        }.get(request.query_params.get("ok", ""))

    # ----- OPD -----
    def opd_view(v: Viewer, request: Request, status: int = 200, **extra) -> HTMLResponse:
        by_items = item_views.by_items(v.cycle)
        with Session(get_engine()) as session:
            if by_items:
                data = item_views.opd_items_page(session, v.cycle, v.subject)
            else:
                data = views.opd_page(session, v.cycle, v.subject)
        return page(
            "opd_items.html.j2" if by_items else "opd.html.j2",
            status,
            signed_in=True,
            csrf=v.session.csrf,
            notice=notice_of(request),
            template_mb=MAX_TEMPLATE_BYTES // 2**20,
            file_mb=MAX_FILE_BYTES // 2**20,
            **data,
            **extra,
        )

    @app.get("/opd", response_class=HTMLResponse)
    def opd_home(request: Request):
        return opd_view(viewer(request, "opd"), request)

    @app.get("/opd/templat")
    def opd_template(request: Request):
        from spbe.intake.templates import issue_template

        v = viewer(request, "opd")
        folder = get_settings().data_dir / "portal" / "out" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        try:
            out = folder / "templat.xlsx"
            with session_scope(get_engine()) as session:
                issue_template(session, cycle=v.cycle, kind="opd", subject=v.subject, out=out, actor=v.actor)
            data = out.read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        name = f"templat-{v.subject}-{v.cycle.code}.xlsx"
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def received(request: Request, v: Viewer, cap: int):
        sending.hit(f"{v.kind}:{v.subject}")
        form = await web.bounded_form(request, cap=cap)
        web.check_csrf(form, v.session)
        return form

    def run_upload(fn, data: bytes, suffix: str, **params) -> dict:
        from flows.registry import run_flow

        folder = get_settings().data_dir / "portal" / "incoming" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        try:
            path = folder / f"kiriman{suffix}"  # our own name: what the person called the file is never a path
            path.write_bytes(data)
            return run_flow(fn, tags=["spbe", "portal"], path=str(path), **params)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @app.post("/opd/impor")
    async def opd_import(request: Request):
        from flows.portal import portal_import

        v = viewer(request, "opd")
        form = await received(request, v, MAX_TEMPLATE_BYTES)
        upload = await web.read_upload(form, "berkas", cap=MAX_TEMPLATE_BYTES)
        if upload is None:
            raise InputError("pilih berkas templat yang sudah diisi")
        data, name = upload
        check_name(name)
        suffix = ".xlsx" if data.startswith(b"PK") else ".csv"
        try:
            result = await run_in_threadpool(run_upload, portal_import, data, suffix, actor=v.actor, subject=v.subject)
        except InputError as exc:
            problems = [p.removeprefix(f"kiriman{suffix}: ") for p in exc.problems]
            return opd_view(
                v,
                request,
                400,
                problems=problems,
                problem_rows=problem_rows(problems),
                problems_title="Templat belum diimpor",
            )
        return go("/opd", "impor" if result.get("created") else "sama")

    @app.post("/opd/indikator/{number}")
    async def opd_answer(number: int, request: Request):
        from flows.portal import portal_evidence

        v = viewer(request, "opd")
        item_views.require_levels(v.cycle)
        form = await received(request, v, MAX_FILE_BYTES)
        level_text = str(form.get("tingkat") or "").strip()
        if level_text and not level_text.isdigit():
            raise InputError("tingkat: pilih 1-5")
        level = int(level_text) if level_text else None
        entries = _links_of(form)
        explanation = _text_of(form, "penjelasan")
        note = _text_of(form, "catatan")
        upload = await web.read_upload(form, "berkas", cap=MAX_FILE_BYTES)
        if upload is not None:
            data, name = upload
            check_name(name)
            result = await run_in_threadpool(
                run_upload,
                portal_evidence,
                data,
                ".bin",
                name=name or "berkas",
                actor=v.actor,
                opd=v.subject,
                indicator=number,
                level=level,
                links=entries,
                explanation=explanation,
                note=note,
            )
            return go(f"/opd#i{number}", "tersimpan" if result["created"] else "sama")

        def write():
            with session_scope(get_engine()) as session:
                return answer(
                    session,
                    cycle=v.cycle,
                    actor=v.actor,
                    opd=v.subject,
                    indicator=number,
                    level=level,
                    links=entries,
                    explanation=explanation,
                    note=note,
                )

        result = await run_in_threadpool(write)
        return go(f"/opd#i{number}", "tersimpan" if result.created else "sama")

    @app.post("/opd/butir/{code}")
    async def opd_item_answer(code: str, request: Request):
        from flows.portal import portal_item_evidence

        v = viewer(request, "opd")
        item_views.require_items(v.cycle)
        form = await received(request, v, MAX_FILE_BYTES)
        entries = _links_of(form)
        note = _text_of(form, "catatan")
        upload = await web.read_upload(form, "berkas", cap=MAX_FILE_BYTES)
        if upload is not None:
            data, name = upload
            check_name(name)
            result = await run_in_threadpool(
                run_upload,
                portal_item_evidence,
                data,
                ".bin",
                name=name or "berkas",
                actor=v.actor,
                opd=v.subject,
                code=code,
                links=entries,
                note=note,
            )
            return go(f"/opd#b-{result['item']}", "tersimpan" if result["created"] else "sama")

        def write():
            with session_scope(get_engine()) as session:
                return answer_item(session, cycle=v.cycle, actor=v.actor, code=code, links=entries, note=note)

        result = await run_in_threadpool(write)
        return go(f"/opd#b-{result.item.code}", "tersimpan" if result.created else "sama")

    @app.post("/opd/sasaran/{number}")
    async def opd_aim(number: int, request: Request):
        from spbe.services.items import aim_level

        v = viewer(request, "opd")
        item_views.require_items(v.cycle)
        form = await received(request, v, 16 * 1024)
        level = str(form.get("tingkat") or "").strip()

        def write():
            with session_scope(get_engine()) as session:
                return aim_level(session, cycle=v.cycle, actor=v.actor, indicator=number, level=level, source="portal")

        result = await run_in_threadpool(write)
        return go(f"/opd#i{number}", "sasaran" if result.created else "sama")

    # ----- files -----
    @app.get("/berkas/{digest}")
    def evidence_file(digest: str, request: Request):
        from spbe.evidence_files import path_of
        from spbe.services.evidence_store import evidence_root

        v = viewer(request)
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise StarletteHTTPException(404)
        with Session(get_engine()) as session:
            row = may_read_file(session, cycle=v.cycle, kind=v.kind, subject=v.subject, digest=digest)
        path = path_of(evidence_root(get_settings().data_dir), digest)
        if row is None or not path.is_file():
            raise StarletteHTTPException(404)
        disposition = "inline" if row.media_type in INLINE else "attachment"
        safe = "".join(c if c.isalnum() or c in "._- " else "_" for c in row.name)[:120] or "berkas"
        return Response(
            path.read_bytes(),
            media_type=row.media_type,
            headers={
                "Content-Disposition": f'{disposition}; filename="{safe}"',
                "Content-Security-Policy": FILE_CSP,
                "Cache-Control": "private, no-store",
            },
        )

    # ----- assessor -----
    @app.get("/asesor", response_class=HTMLResponse)
    def assessor_home(request: Request):
        v = viewer(request, "assessor")
        by_items = item_views.by_items(v.cycle)
        with Session(get_engine()) as session:
            if by_items:
                data = item_views.assessor_items_page(session, v.cycle, v.subject)
            else:
                data = views.assessor_page(session, v.cycle, v.subject)
        return page(
            "assessor_items.html.j2" if by_items else "assessor.html.j2",
            signed_in=True,
            csrf=v.session.csrf,
            notice=notice_of(request),
            **data,
        )

    @app.post("/asesor/butir/{code}")
    async def assessor_item_review(code: str, request: Request):
        from spbe.services.items import review_item

        v = viewer(request, "assessor")
        item_views.require_items(v.cycle)
        form = await received(request, v, 64 * 1024)
        verdict = str(form.get("putusan") or "")
        version_text = str(form.get("versi") or "").strip()
        if verdict not in ("diterima", "revisi") or not version_text.isdigit():
            raise InputError("putusan: pilih Diterima atau Revisi")
        kind = str(form.get("jenis") or "").strip() or None

        def write():
            with session_scope(get_engine()) as session:
                return review_item(
                    session,
                    cycle=v.cycle,
                    actor=v.actor,
                    code=code,
                    verdict=verdict,
                    kind=kind if verdict == "revisi" else None,
                    note=_text_of(form, "catatan"),
                    version=int(version_text),
                    source="portal",
                )

        result = await run_in_threadpool(write)
        return go(f"/asesor#b-{result.item.code}", "tersimpan" if result.created else "sama")

    @app.post("/asesor/indikator/{number}")
    async def assessor_review(number: int, request: Request):
        from spbe.services import submissions as svc

        v = viewer(request, "assessor")
        item_views.require_levels(v.cycle)
        form = await received(request, v, 64 * 1024)
        verdict = str(form.get("putusan") or "")
        level_text = str(form.get("tingkat") or "").strip()
        version_text = str(form.get("versi") or "").strip()
        if (
            verdict not in ("accept", "revise")
            or (level_text and not level_text.isdigit())
            or not version_text.isdigit()
        ):
            raise InputError("putusan: pilih Terima atau Kembalikan")

        def write():
            with session_scope(get_engine()) as session:
                return svc.review(
                    session,
                    cycle=v.cycle,
                    indicator=number,
                    assessor=v.subject,
                    verdict=verdict,
                    level=int(level_text) if level_text and verdict == "accept" else None,
                    note=_text_of(form, "catatan"),
                    actor=v.actor,
                    source="portal",
                    version=int(version_text),
                )

        result = await run_in_threadpool(write)
        return go(f"/asesor#i{number}", "tersimpan" if result.created else "sama")

    # ----- coordinator -----
    @app.get("/koordinator", response_class=HTMLResponse)
    def coordinator_home(request: Request):
        from spbe.prefect_env import ui_url
        from spbe.services.status import cycle_status

        v = viewer(request, "coordinator")
        status = cycle_status()
        with Session(get_engine()) as session:
            data = views.coordinator_page(session, v.cycle, clock.now(), status)
        for r in data["runs"]:
            r["url"] = ui_url(r["run"])
        base = ui_url("x")
        return page(
            "coordinator.html.j2",
            signed_in=True,
            csrf=v.session.csrf,
            notice=notice_of(request),
            prefect_ui=base.rsplit("/runs/", 1)[0] + "/runs" if base else None,
            **data,
        )

    @app.post("/koordinator/ingatkan/{opd}")
    async def coordinator_nudge(opd: str, request: Request):
        from spbe.services.nudge import nudge_opd

        v = viewer(request, "coordinator")
        await received(request, v, 16 * 1024)

        def write():
            with session_scope(get_engine()) as session:
                return nudge_opd(session, cycle=v.cycle, actor=v.actor, opd=opd, now=clock.now())

        await run_in_threadpool(write)
        return go("/koordinator", "diingatkan")

    return app


def serve(host: str, port: int) -> None:
    """Run the portal until interrupted (no access log of uvicorn's own: it would show link tokens)."""
    import uvicorn

    require_schema()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(create_app(), host=host, port=port, access_log=False, log_level="warning", server_header=False)
