from fastapi.testclient import TestClient

from tests.forms.conftest import World
from tests.web.conftest import sign_in


def test_office_sees_movements(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world, "office")
    page = app_client.get("/web/movements")
    assert page.status_code == 200, page.text
    assert "Sở Nội vụ" in page.text
    chart = app_client.get(f"/web/movements/{world.movement_id}/chart.svg")
    assert chart.status_code == 200
    unit = app_client.get(f"/web/units/{world.units['SNV']}")
    assert unit.status_code == 200, unit.text
    review = app_client.get("/web/review")
    assert review.status_code == 200, review.text
