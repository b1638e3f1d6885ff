import pytest
from django.urls import reverse

from backoffice import health


def test_healthz_answers_without_touching_anything(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_every_part_ready(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(part["ok"] for part in body["checks"].values())


@pytest.mark.django_db
def test_readyz_names_the_failing_part_with_503(client, monkeypatch):
    def broken_cache() -> None:
        raise ConnectionError("redis is away")

    monkeypatch.setitem(health.CHECKS, "cache", broken_cache)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert response.json()["checks"]["cache"]["error"] == "ConnectionError"
