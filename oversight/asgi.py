"""The ASGI application for `oversight serve --workers N` (one process per core).

The parent process resolves the database (starting the embedded PostgreSQL if needed)
and the signing secret once and hands them to the workers through the environment;
each worker builds its own application here, through the composition root.
"""

from __future__ import annotations

import os

from litestar import Litestar

from oversight.logs import configure_logging
from oversight.runtime import create_app
from oversight.settings import Settings

RESOLVED_URL = "OVERSIGHT_RESOLVED_DATABASE_URL"
RESOLVED_SECRET = "OVERSIGHT_RESOLVED_JWT_SECRET"  # noqa: S105 - a variable name
RUN_PROJECTIONS = "OVERSIGHT_RUN_PROJECTIONS"


def app_factory() -> Litestar:
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return create_app(
        settings,
        database_url=os.environ[RESOLVED_URL],
        jwt_secret=os.environ[RESOLVED_SECRET],
        run_projections=os.environ.get(RUN_PROJECTIONS, "1") == "1",
    )
