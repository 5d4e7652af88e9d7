"""Offline start and notifications, in Chromium on a phone-sized page (issue 18, items 3 and 10).

- A clinician loses the network (the browser offline and the server gone): a reload opens the
  app from the service worker's shell and the device's cache with « Hors ligne », a message
  written then waits across another reload, and is delivered once when the network is back.
- Sign-out deletes what the device kept (IndexedDB), and the tab title counts unread messages.
- A push to the service worker (through the DevTools protocol, as the push service would) shows
  the server's notice: the sender's name, nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conversations import actions
from conversations.models import Message
from conversations.push import notify
from tests.e2e.conftest import screenshot, sign_in
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
}
DB = "liaison-hors-ligne"
# Every key the app's IndexedDB holds (none when the database does not exist).
CACHED_KEYS = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes('__NAME__')) return [];
  return await new Promise((resolve, reject) => {
    const open = indexedDB.open('__NAME__');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('data')) { db.close(); resolve([]); return; }
      const req = db.transaction('data').objectStore('data').getAllKeys();
      req.onsuccess = () => { db.close(); resolve(req.result.map(String)); };
      req.onerror = () => { db.close(); reject(req.error); };
    };
  });
}""".replace("__NAME__", DB)
_contexts: list[Any] = []


@pytest.fixture(autouse=True)
def _close_contexts(server: Daphne) -> Iterator[None]:
    yield
    while _contexts:
        _contexts.pop().close()


def phone(browser: Any, base: str, username: str, **extra: Any) -> Any:
    context = browser.new_context(**PHONE, **extra)
    _contexts.append(context)
    page = context.new_page()
    sign_in(page, base, username)
    # The service worker controls the page: the shell is in its cache.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    return page


def cached_keys(page: Any) -> list[str]:
    return page.evaluate(CACHED_KEYS)


def wait_cached(page: Any, fragment: str) -> None:
    page.wait_for_function(
        f"({CACHED_KEYS})().then((keys) => keys.some((k) => k.includes({json.dumps(fragment)})))",
        timeout=15_000,
    )


def test_a_reload_offline_opens_the_last_conversation_and_the_outbox_waits_then_goes_once(
    personas, server: Daphne, browser
):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    actions.send_message(
        personas.cardiologist, conversation.pk, client_id="off-1", body="Le bilan est arrivé"
    )
    gp = phone(browser, server.base, "dr.martin")
    gp.get_by_test_id("conversation-item").first.tap()
    expect(gp.get_by_test_id("message-item").filter(has_text="bilan est arrivé")).to_be_visible()
    wait_cached(gp, f"/messages/{conversation.pk}")

    # No network at all: the browser is offline and the server is gone.
    gp.context.set_offline(True)
    server.kill()
    gp.reload()
    # The client waits 5 s for /api/me and 3 s at most for the device's cache: the bound here
    # leaves room for a loaded machine.
    expect(gp.get_by_test_id("offline-banner")).to_contain_text("Hors ligne", timeout=30_000)
    expect(gp.locator(".splash")).to_have_count(0)
    expect(gp.get_by_test_id("message-item").filter(has_text="bilan est arrivé")).to_be_visible()
    screenshot(gp, "offline-phone-reload")

    gp.get_by_test_id("composer-input").fill("Je passe voir le patient à 14 h")
    gp.get_by_test_id("send-button").tap()
    waiting = gp.locator('[data-status="waiting"]').filter(has_text="voir le patient")
    expect(waiting).to_contain_text("En attente de connexion", timeout=15_000)
    wait_cached(gp, "/outbox")

    gp.reload()
    expect(gp.get_by_test_id("offline-banner")).to_be_visible(timeout=15_000)
    expect(waiting).to_contain_text("En attente de connexion", timeout=15_000)
    screenshot(gp, "offline-phone-waiting-after-reload")
    assert not Message.objects.filter(body__contains="voir le patient").exists()

    # The network is back: the session is checked again, the message goes out once.
    Daphne(port=server.port).start()
    gp.context.set_offline(False)
    expect(gp.get_by_test_id("offline-banner")).to_have_count(0, timeout=30_000)
    expect(waiting).to_have_count(0, timeout=30_000)
    sent = gp.get_by_test_id("message-item").filter(has_text="voir le patient")
    expect(sent).to_have_attribute("data-status", "sent", timeout=15_000)
    cardio = phone(browser, server.base, "dr.bernard")
    cardio.get_by_test_id("conversation-item").first.tap()
    expect(cardio.get_by_test_id("message-item").filter(has_text="voir le patient")).to_have_count(
        1, timeout=10_000
    )
    assert Message.objects.filter(body="Je passe voir le patient à 14 h").count() == 1


def test_sign_out_deletes_what_the_device_kept_and_the_title_counts_unread(
    personas, server: Daphne, browser
):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    actions.send_message(
        personas.cardiologist, conversation.pk, client_id="t-1", body="Rappel du labo"
    )
    gp = phone(browser, server.base, "dr.martin")
    expect(gp.get_by_test_id("conversation-item")).to_have_count(1)
    expect(gp).to_have_title("(1) Liaison Santé")
    # One more, live, while the GP looks at the list.
    cardio = phone(browser, server.base, "dr.bernard")
    cardio.get_by_test_id("conversation-item").first.tap()
    cardio.get_by_test_id("composer-input").fill("Urgent : rappelez-moi")
    cardio.get_by_test_id("send-button").tap()
    expect(gp).to_have_title("(2) Liaison Santé", timeout=10_000)
    gp.get_by_test_id("conversation-item").first.tap()
    expect(gp.get_by_test_id("message-item").filter(has_text="Rappel du labo")).to_be_visible()
    expect(gp).to_have_title("Liaison Santé", timeout=10_000)
    wait_cached(gp, f"/messages/{conversation.pk}")
    assert any(k.endswith("/conversations") for k in cached_keys(gp))
    assert "session" in cached_keys(gp)

    gp.get_by_test_id("logout-button").tap()
    gp.get_by_test_id("login-form").wait_for()
    gp.wait_for_function(f"({CACHED_KEYS})().then((keys) => keys.length === 0)", timeout=10_000)
    names = gp.evaluate("indexedDB.databases().then((dbs) => dbs.map((d) => d.name))")
    assert DB not in names
    # Offline now, a reload shows the sign-in page, not the previous user's conversations.
    gp.context.set_offline(True)
    gp.reload()
    gp.get_by_test_id("login-form").wait_for(timeout=15_000)
    expect(gp.get_by_test_id("conversation-item")).to_have_count(0)


def test_the_service_worker_shows_the_push_notice_with_the_sender_only(
    personas, server: Daphne, browser
):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    message = actions.send_message(
        personas.gp, conversation.pk, client_id="p-1", body="Kaliémie à 6,1 chez M. DURAND"
    ).message
    cardio = phone(browser, server.base, "dr.bernard", permissions=["notifications"])
    cdp = cardio.context.new_cdp_session(cardio)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    cardio.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    deadline_checks = 0
    while not registrations and deadline_checks < 50:
        cardio.wait_for_timeout(100)
        deadline_checks += 1
    [registration] = [r for r in registrations if not r.get("isDeleted")][:1]

    # What the server's task encrypts for this user, delivered as the push service would.
    payload = json.dumps(notify.notice(message, None), ensure_ascii=False)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.base, "registrationId": registration["registrationId"], "data": payload},
    )
    # wait_for_function would take the returned promise itself as truthy: poll the resolved list.
    shown = None
    for _ in range(150):
        shown = cardio.evaluate(
            """() => navigator.serviceWorker.ready
                  .then((r) => r.getNotifications())
                  .then((ns) => ns.length ? ns.map((n) => ({title: n.title, body: n.body,
                                                            tag: n.tag, url: n.data && n.data.url}))
                                          : null)"""
        )
        if shown:
            break
        cardio.wait_for_timeout(100)
    assert shown == [
        {
            "title": f"Nouveau message de {personas.gp.display_name}",
            "body": "",
            "tag": f"conversation-{conversation.pk}",
            "url": f"/conversations/{conversation.pk}",
        }
    ]
    # Sign-out closes what is still on screen (a shared PC).
    cardio.get_by_test_id("logout-button").tap()
    cardio.get_by_test_id("login-form").wait_for()
    left = cardio.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((n) => n.length)"
    )
    assert left == 0
