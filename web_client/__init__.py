"""Browser front-end of the session companion: plain ES modules, no build step.

:func:`mount` adds to a FastAPI app:

* ``GET /``        the side-panel (``static/index.html``): sign in, choose a client and
  session, record consent, capture the microphone, follow the live transcript;
* ``GET /review``  the review page (``static/review.html``): after the session, check the
  draft against the transcript, sign, add addenda, export;
* ``GET /bridge``  the Doxy.me bridge (``static/bridge.html``): the therapist's microphone
  and the call tab's audio as two labelled tracks of one peer connection;
* ``/static/*``    the stylesheet and JavaScript modules.

Everything is same-origin and fits the service's strict Content-Security-Policy: no
inline scripts or styles, no third-party resources.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "mount"]

STATIC_DIR = Path(__file__).parent / "static"

# Module scripts need a JavaScript MIME type under ``X-Content-Type-Options: nosniff``;
# some systems (the Windows registry, old mime.types files) map ``.js`` to text/plain.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")

# No build step means no content-hashed file names: browsers revalidate every file (a
# cheap 304 with the ETag) so a release never runs new pages with stale modules.
_PAGE_HEADERS = {"Cache-Control": "no-cache"}


class _RevalidatedStaticFiles(StaticFiles):
    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html", headers=_PAGE_HEADERS)


def mount(app: FastAPI) -> None:
    """Serve the side-panel at ``/``, the review page at ``/review``, the bridge at
    ``/bridge`` and ``/static/*``."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def side_panel() -> FileResponse:
        return _page("index.html")

    @app.api_route("/review", methods=["GET", "HEAD"], include_in_schema=False)
    async def review() -> FileResponse:
        return _page("review.html")

    @app.api_route("/bridge", methods=["GET", "HEAD"], include_in_schema=False)
    async def bridge() -> FileResponse:
        return _page("bridge.html")

    app.mount("/static", _RevalidatedStaticFiles(directory=STATIC_DIR), name="static")
