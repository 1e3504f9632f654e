"""Who is signed in, on the pages that anyone may open (`/`, `/login`, `/register`),
where the authentication middleware does not run. On every other page the middleware
(api/auth.py) has set `request.user`, or answered 401, which the pages' router turns
into the sign-in page (api/pages/errors.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from api.auth import optional_actor
from domain.values import Actor


async def signed_in(request: Request[Any, Any, Any]) -> Actor | None:
    """The actor of the request's credentials, or None (a bad or expired one too: on a
    public page it only decides what the header shows)."""
    try:
        return await optional_actor(request)
    except NotAuthorizedException:
        return None
