"""A person's session ends while they edit (the cookie is gone, as after a logout
in another tab): saving sends them to log in with a notice, and after logging in
they are back in the editor with their unsaved edit offered back, and can save it."""
from __future__ import annotations

import re

import pytest

from tests.e2e.documents import import_graph, small_cnn
from tests.e2e.editor import PASSWORD, log_in, set_param, wait_validated

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_ended_session_keeps_the_unsaved_edit(ada, page, shoot, tmp_path):
    log_in(page)
    import_graph(page, "session", small_cnn(), tmp_path)
    editor = page.url
    wait_validated(page, "Valid")
    set_param(page, "fc", "out_features", "12")
    wait_validated(page, "Valid")
    page.locator('.react-flow__node[data-id="fc"]').filter(has_text="out_features=12").wait_for()
    shoot("edited")

    page.context.clear_cookies()  # the session is gone
    page.get_by_test_id("save").click()
    page.locator("input[name=message]").fill("wider head")
    page.get_by_test_id("save-confirm").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    notice = page.get_by_test_id("login-notice")
    assert notice.inner_text() == "Your session ended; log in again."
    shoot("sent-to-login")

    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(editor)  # `next` brings the person back to the graph
    offer = page.get_by_test_id("draft-offer")
    offer.wait_for()
    # The editor shows the saved version until the person takes the kept edit back.
    page.locator('.react-flow__node[data-id="fc"]').filter(has_text="out_features=10").wait_for()
    shoot("offered-back")
    offer.get_by_role("button", name="Restore them").click()
    page.locator('.react-flow__node[data-id="fc"]').filter(has_text="out_features=12").wait_for()
    assert offer.count() == 0
    assert page.locator(".dirty-dot").count() == 1
    wait_validated(page, "Valid")

    page.get_by_test_id("save").click()
    page.locator("input[name=message]").fill("wider head")
    page.get_by_test_id("save-confirm").click()
    page.get_by_text("Saved as version 2.").wait_for()
    shoot("saved-after-login")
    page.reload()  # the kept draft is gone once taken back, and the server has the edit
    page.locator('.react-flow__node[data-id="fc"]').filter(has_text="out_features=12").wait_for()
    assert page.get_by_test_id("draft-offer").count() == 0
