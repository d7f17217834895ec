"""A local web app over one report folder: the report page with working decision buttons, each finding's
decision history, and an optional machine-translation gloss. Decisions go through the review store
(``review.sqlite``), exactly as ``claimcheck review --mark`` records them, and report.html is re-rendered
after each one so the static page stays current without the server.

Safe by default: it binds 127.0.0.1; every request must name an allowed Host (no DNS rebinding); writes
need the per-run token embedded in the page and a JSON body (a page from another origin can send
neither); only the report folder's own files are served, looked up by name in its listing."""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .html_report import LiveView, render_html_data
from .review import (
    DB_NAME,
    OPEN,
    STATUSES,
    ReviewItem,
    ReviewStore,
    load_report,
    refresh_html,
    review_items,
    review_states,
)
from .types import CheckError

TOKEN_HEADER = "X-Claimcheck-Token"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
MAX_NOTE = 2000
# files of the folder that are never served: the review database and its journals
PRIVATE_PREFIXES = (DB_NAME, ".")
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def allowed_hosts_for(host: str) -> list[str]:
    """Host header values accepted when bound to ``host``: the local names, plus the bound name itself."""
    hosts = list(LOCAL_HOSTS)
    if host in ("0.0.0.0", "::", ""):  # every interface: the machine's own names too
        import socket

        names = [socket.gethostname(), socket.getfqdn()]
    else:
        names = [host]
    return hosts + [n for n in dict.fromkeys(names) if n and n not in hosts]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=SECURITY_HEADERS)


def create_app(report_dir: Path, token: str, *, allowed_hosts: Iterable[str] = LOCAL_HOSTS,
               glosser: Any = None) -> Starlette:
    """The app for one report folder. ``glosser`` is a ``checker.gloss.Glosser`` or None (no gloss)."""
    report_dir = Path(report_dir).resolve()
    load_report(report_dir)  # fail at start, with the usual one-line message, on a folder with no report
    db = report_dir / DB_NAME
    page_lock = threading.Lock()  # report.html re-renders one at a time, each from the latest decisions

    def current() -> tuple[dict[str, Any], list[ReviewItem], dict[str, list[tuple[str, str, str]]]]:
        data = load_report(report_dir)  # read per request: `check` may have re-run into the folder
        if not db.exists():
            return data, review_items(data, {}), {}
        with ReviewStore(db) as store:
            decisions, history = store.decisions(), store.history()
        return data, review_items(data, decisions), {
            fp: [(h.decided_at, h.status, h.note) for h in rows] for fp, rows in history.items()}

    def glosses(data: dict[str, Any]) -> dict[str, str | None]:
        if glosser is None:
            return {}
        claims = [(c["id"], c["text"], c.get("language") or d.get("language", "")) for d in data["documents"] for c in d["claims"]]
        texts = glosser.gloss([(text, language) for _, text, language in claims])
        return {cid: text for (cid, _, _), text in zip(claims, texts, strict=True)}

    async def page(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        def render() -> str:
            data, items, history = current()
            live = LiveView(token=token, history=history, glosses=glosses(data),
                            gloss_model=glosser.info.name if glosser else "",
                            gloss_lang=glosser.target if glosser else "en",
                            gloss_test_model=bool(glosser and not glosser.info.real))
            return render_html_data(data, review_states(items), live)

        try:
            html = await run_in_threadpool(render)
        except CheckError as exc:
            return _error(500, str(exc))
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    def state_of(fp: str, items: list[ReviewItem], history: dict[str, list[tuple[str, str, str]]]) -> dict:
        item = next(i for i in items if i.fingerprint == fp)
        dec = item.decision
        return {"id": item.discrepancy.id, "fingerprint": fp, "status": item.status,
                "note": dec.note if dec and not item.reappeared else "",
                "decided_at": dec.decided_at if dec and not item.reappeared else "",
                "history": [{"decided_at": w, "status": s, "note": n} for w, s, n in history.get(fp, [])]}

    def write(fp: str, status: str, note: str) -> dict:
        data = load_report(report_dir)
        match = [i for i in review_items(data, {}) if i.fingerprint == fp]
        if not match:
            raise LookupError("no such finding in the current report (was `check` re-run? reload the page)")
        with ReviewStore(db) as store:
            store.decide(match[0].discrepancy, status, note, report_generated_at=str(data.get("generated_at", "")))
        with page_lock:
            refresh_html(report_dir)
        _, items, history = current()
        return state_of(fp, items, history)

    async def decide(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8")):
            return _error(403, "missing or wrong token: reload the page from the address `claimcheck serve` printed")
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
            return _error(403, "cross-origin request refused")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "send JSON")
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        fp, status, note = body.get("fingerprint"), body.get("status"), body.get("note", "")
        if not isinstance(fp, str) or not isinstance(status, str) or not isinstance(note, str):
            return _error(400, "fingerprint, status and note must be strings")
        status, note = status.strip().lower(), note.strip()
        if status != OPEN and status not in STATUSES:
            return _error(400, f"unknown status (use {', '.join(STATUSES)} or {OPEN})")
        if status == "dismissed" and not note:
            return _error(400, "a dismissal needs a reason: write a note")
        if len(note) > MAX_NOTE:
            return _error(400, f"the note is longer than {MAX_NOTE} characters")
        try:
            state = await run_in_threadpool(write, fp, status, note)
        except LookupError as exc:
            return _error(404, str(exc.args[0]))
        except CheckError as exc:
            return _error(500, str(exc))
        return JSONResponse(state, headers=SECURITY_HEADERS)

    async def decisions(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        _, items, history = await run_in_threadpool(current)
        return JSONResponse([state_of(i.fingerprint, items, history) for i in items], headers=SECURITY_HEADERS)

    async def report_file(request: Request) -> Response:
        name = request.path_params["name"]
        # looked up by exact name among the folder's regular files: no path is ever built from the request
        found = next((p for p in report_dir.iterdir() if p.name == name and not p.name.startswith(PRIVATE_PREFIXES)
                      and not p.is_symlink() and p.is_file()), None)
        if found is None:
            return _error(404, "not found")
        return FileResponse(found, headers=SECURITY_HEADERS)

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/api/decisions", decisions, methods=["GET"]),
        Route("/api/decisions", decide, methods=["POST"]),
        Route("/files/{name}", report_file, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))])


def serve(report_dir: Path, *, host: str = "127.0.0.1", port: int = 8765, gloss: str | None = None,
          gloss_lang: str = "en", echo: Any = print) -> None:
    """Run the app with uvicorn until interrupted; prints the address to open."""
    import socket

    import uvicorn

    load_report(report_dir)
    glosser = None
    if gloss:
        from .gloss import Glosser

        glosser = Glosser(gloss, gloss_lang)
    try:  # a clear message rather than the server's own log line when the port is taken
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise CheckError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    app = create_app(report_dir, new_token(), allowed_hosts=allowed_hosts_for(host), glosser=glosser)
    shown = f"[{host}]" if ":" in host else host
    echo(f"serving {report_dir} at http://{shown}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
