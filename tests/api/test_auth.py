"""Session login with CSRF for the browser, tokens for scripts."""
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_it_tells_anonymous_callers_to_sign_in_me(anon_client):
    response = anon_client.get("/api/auth/me")
    assert response.status_code == 403
    assert "detail" in response.json()


def test_it_shows_the_signed_in_user_me(owner_client, owner):
    response = owner_client.get("/api/auth/me")
    assert response.status_code == 200
    assert response.json() == {"id": owner.pk, "username": "owner"}
    assert "csrftoken" in response.cookies


def test_it_logs_in_with_a_csrf_token_login(owner):
    browser = APIClient(enforce_csrf_checks=True)
    token = browser.get("/api/auth/me").cookies["csrftoken"].value
    refused = browser.post("/api/auth/login", {"username": "owner", "password": "correct-horse-battery"},
                           format="json")
    assert refused.status_code == 403  # no X-CSRFToken header: refused
    response = browser.post("/api/auth/login", {"username": "owner", "password": "correct-horse-battery"},
                            format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json()["username"] == "owner"
    assert browser.get("/api/auth/me").json()["id"] == owner.pk


def test_it_rejects_a_wrong_password_login(owner, anon_client):
    response = anon_client.post("/api/auth/login", {"username": "owner", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"
    assert anon_client.get("/api/auth/me").status_code == 403


def test_it_logs_out_logout(owner_client):
    assert owner_client.post("/api/auth/logout").status_code == 204
    assert owner_client.get("/api/auth/me").status_code == 403


def test_it_gives_scripts_a_token_that_works_token(owner, anon_client):
    from rest_framework.authtoken.models import Token

    response = anon_client.post(
        "/api/auth/token", {"username": "owner", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=owner).key == key
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get("/api/auth/me").json()["username"] == "owner"


def test_it_rejects_wrong_credentials_token(owner, anon_client):
    from rest_framework.authtoken.models import Token

    response = anon_client.post("/api/auth/token", {"username": "owner", "password": "x"}, format="json")
    assert response.status_code == 400
    assert not Token.objects.filter(user=owner).exists()


def test_it_locks_out_an_address_after_repeated_failures_login(owner, anon_client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.NETWEAVE_LOGIN_FAILURES = 2
    wrong = {"username": "owner", "password": "guess"}
    assert [anon_client.post("/api/auth/login", wrong, format="json").status_code for _ in range(2)] == [400, 400]
    right = {"username": "owner", "password": "correct-horse-battery"}
    refused = anon_client.post("/api/auth/login", right, format="json")
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.json()["detail"]
    assert anon_client.post("/api/auth/token", right, format="json").status_code == 429
    assert anon_client.get("/api/auth/me").status_code == 403  # not signed in
    cache.clear()  # the wait is over
    assert anon_client.post("/api/auth/login", right, format="json").status_code == 200


def test_it_marks_answers_to_callers_not_signed_in(anon_client, clients, project):
    # The editor sends a person whose session ended to the login page by this code, and
    # keeps "your role is too small" (also 403) an ordinary error.
    signed_out = anon_client.post("/api/graphs/validate", {"document": {}}, format="json")
    assert signed_out.status_code == 403
    assert signed_out.json()["code"] == "not_authenticated"
    assert anon_client.get("/api/auth/me").json()["code"] == "not_authenticated"
    refused = clients["editor"].post(f"/api/projects/{project.pk}/members",
                                     {"username": "viewer", "role": "viewer"}, format="json")
    assert refused.status_code == 403
    assert "code" not in refused.json()


def test_logging_out_revokes_the_users_api_token_logout(owner, owner_client):
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=owner).key
    script = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get("/api/auth/me").status_code == 200
    assert owner_client.post("/api/auth/logout").status_code == 204
    assert script.get("/api/auth/me").status_code == 403
    assert not Token.objects.filter(user=owner).exists()


@pytest.mark.parametrize("path", ["/api/no/such/thing", "/api/runs/1/events", "/api/projects"])
def test_a_post_without_csrf_token_gets_json_not_the_html_csrf_page(owner, path):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post(path, {}, format="json")
    assert response.status_code in (403, 404, 405)
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    assert response.json()["detail"]
