"""The buyer app's order over HTTP, the seller's answer in the browser, and the buyer app told by a
signed webhook: an order placed through the API appears in Sales Management, the Product Manager
accepts it, and the buyer app's receiver gets `order.accepted`."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect

from api.app import create_app
from core.clock import utc_now
from core.demo.seed import DEMO_PASSWORD
from core.domain import ApiScope
from core.integration import clients, webhooks
from jobs import webhooks as worker
from jobs.simulate import WebhookReceiver
from tests.builders import api_wiring, serve_asgi
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_order_journey import go_to_sales, open_order, settled

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)


def heard(receiver: WebhookReceiver, store, topic: str, number: str, within_s: float = 30) -> bool:
    """Deliver webhooks (one worker round at a time) until the receiver has `topic` for `number`."""
    deadline = time.monotonic() + within_s
    with worker.http_client() as http, ThreadPoolExecutor(8) as pool:
        while time.monotonic() < deadline:
            with receiver.lock:
                if (topic, number) in receiver.events:
                    return True
            if not worker.run_round(store, worker="e2e", http=http, pool=pool, lease=timedelta(seconds=30)):
                time.sleep(0.2)  # nothing to send yet: the step may not have committed
    return False


def test_an_order_placed_over_http_is_accepted_in_the_browser_and_the_app_hears_it(running_app, page, app_store):
    now = utc_now()
    name = f"e2e-app-{int(time.time() * 1000) % 10**9}"
    token = clients.create_client(app_store, operator="e2e", name=name, scope=ApiScope.BUYER_APP, now=now).token
    receiver = WebhookReceiver().start()
    endpoint = webhooks.add_endpoint(
        app_store, operator="e2e", client_name=name, url=receiver.url, topics=None, now=now
    )
    receiver.secret = endpoint.secret
    try:
        with serve_asgi(create_app(api_wiring(app_store))) as api_url:
            answer = httpx.post(
                f"{api_url}/api/v1/buyers/LVM-00003/orders",
                json={"seller": "DEMO01", "warehouse": "JKT-01", "lines": [{"sku": "SPN-0001", "quantity": 1}]},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"e2e-{name}"},
                timeout=30,
            )
        assert answer.status_code == 201, answer.text
        number = answer.json()["number"]
        assert heard(receiver, app_store, "order.placed", number)

        log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
        go_to_sales(page)
        open_order(page, number)
        screenshot(page, "api-order-in-sales-management")
        page.get_by_role("button", name="Accept", exact=True).click()
        expect(page.get_by_text(f"{number} accepted.")).to_be_visible()
        settled(page)

        assert heard(receiver, app_store, "order.accepted", number)
        assert receiver.counts["bad signature"] == 0
    finally:
        webhooks.remove_endpoint(app_store, operator="e2e", endpoint_id=endpoint.id, now=utc_now())
        receiver.stop()
