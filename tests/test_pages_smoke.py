import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_renders_with_header_and_strict_csp(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html
    assert reverse("accounts:login") in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
