"""The lists' 导出 CSV (issue 17): every row of the filtered list, the same file as the
API's `Accept: text/csv` export of the same list (api/export.py, issue 14: every page,
the columns of the row type, Chinese headers and values for a Chinese page)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.http import test_commitments as commitments
from tests.http import test_credit_repairs as repairs
from tests.http import test_projects as projects
from tests.http.pages_support import as_user, page_of
from tests.http.support import API, latest_position, lodge, supervisor
from tests.support import Clock

pytestmark = pytest.mark.http

SUPERVISOR = as_user("supervisor", "sup-pages")


@pytest.mark.parametrize(
    ("page_path", "api_path"),
    [
        ("/cases.csv?kind=complaint", f"{API}?kind=complaint"),
        ("/cases.csv", API),
        ("/projects.csv", "/api/v1/projects"),
        ("/commitments.csv?status=committed", "/api/v1/commitments?status=committed"),
        ("/credit-repairs.csv", "/api/v1/credit-repairs"),
    ],
)
def test_the_export_is_the_api_s_csv_of_the_whole_filtered_list(
    fresh_client: TestClient, clock: Clock, page_path: str, api_path: str
) -> None:
    client = fresh_client  # whole lists: a database of its own
    for _ in range(2):
        lodge(client)
        commitments.make(client)
        repairs.apply(client)
        projects.register(client)
    position = latest_position(client)
    api = client.get(
        api_path,
        headers={
            **supervisor(),
            "Accept": "text/csv",
            "Accept-Language": "zh-CN",
            "X-Min-Position": str(position),
        },
    )
    assert api.status_code == 200, api.text
    page = client.get(page_path, headers={**SUPERVISOR, "Accept-Language": "zh-CN"})
    assert page.status_code == 200, page.text[-2000:]
    assert page.headers["content-type"] == "text/csv; charset=utf-8"
    assert page.headers["content-disposition"].startswith("attachment; filename=")
    assert page.content == api.content
    # The whole list, not one page of it.
    lines = page.content.decode("utf-8-sig").count("\r\n")
    assert lines - 1 >= 2


def test_the_export_of_more_than_one_page(fresh_client: TestClient, clock: Clock) -> None:
    client = fresh_client  # 27 cases of one deadline would crowd the shared desk
    for _ in range(27):
        lodge(client)
    position = latest_position(client)
    cookie = {"Cookie": f"oversight_position={position}"}
    listed = page_of(client.get("/cases", headers={**SUPERVISOR, **cookie}))
    assert 'rel="next"' in listed.html  # more than one page on the page
    csv = client.get("/cases.csv", headers=SUPERVISOR).content.decode("utf-8-sig")
    api_ids: list[str] = []
    cursor = None
    while True:
        query = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        body = client.get(API, params=query, headers=supervisor()).json()
        api_ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(api_ids) > 25
    assert [line.split(",")[0] for line in csv.splitlines()[1:]] == api_ids
