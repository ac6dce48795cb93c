"""The awsgate web console in a real headless Chromium (Debian's, driven by Playwright), with
the agent's calls made through the official MCP Python SDK over streamable HTTP.

Run by tests/integration/console.rs with one JSON argument (base URL, tokens, bucket, keys,
where to put screenshots, the Chromium to use). Prints one JSON object per check on stdout:
{"check": name, "ok": bool, "detail": str}, and a last one {"measured": {...}}.
"""

import asyncio
import json
import sys
import threading
import traceback
import urllib.error
import urllib.request

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from playwright.sync_api import sync_playwright

SPEC = json.loads(sys.argv[1])
BASE = SPEC["base"]
TOKENS = SPEC["tokens"]


def report(check, ok, detail=""):
    print(json.dumps({"check": check, "ok": bool(ok), "detail": str(detail)[:600]}), flush=True)


def agent_call(who, tool, args):
    """One tools/call as `who`, through the Python SDK, in a thread of its own (Playwright's
    sync API owns this thread's event loop). Returns (is_error, text, structured)."""
    out = {}

    async def call():
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKENS[who]}"}, timeout=60)
        async with Client(streamable_http_client(f"{BASE}/mcp", http_client=http)) as client:
            result = await client.call_tool(tool, args)
            texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
            out["answer"] = (result.is_error, "\n".join(texts), result.structured_content)

    def run():
        try:
            asyncio.run(call())
        except BaseException:  # noqa: BLE001 - reported below
            out["error"] = traceback.format_exc()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(90)
    if "error" in out:
        raise RuntimeError(out["error"])
    return out["answer"]


def held_id(answer):
    is_error, text, structured = answer
    if is_error or not isinstance(structured, dict) or "awsgate" not in structured:
        raise AssertionError(f"expected a held call, got: {text}")
    return structured["awsgate"]["request_id"]


def delete(who, key):
    return agent_call(who, "s3_delete_object", {"bucket": SPEC["bucket"], "key": key, "reason": "console test"})


def sign_in(browser, who):
    if SPEC.get("oidc"):
        lands = {"rita": "/sessions"}.get(who, "/inbox")
        context, page, _ = oidc_sign_in(browser, who, lands)
        return context, page
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{BASE}/inbox")
    assert page.url.endswith("/login"), page.url
    page.fill("#token", TOKENS[who])
    page.click("form[action='/login'] button[type=submit]")
    return context, page


def api_decide(who, request_id, verdict, reason):
    body = json.dumps({"reason": reason}).encode()
    request = urllib.request.Request(
        f"{BASE}/approvals/{request_id}/{verdict}",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {TOKENS[who]}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


def check(name, fn):
    try:
        ok, detail = fn()
        report(name, ok, detail)
    except BaseException:  # noqa: BLE001 - a failed step fails its check
        report(name, False, traceback.format_exc())


def main():
    keys = SPEC["keys"]
    measured = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=SPEC["chromium"], args=SPEC["chromium_args"])
        bob_context, bob = sign_in(browser, "bob")
        navigations = []
        bob.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == bob.main_frame else None)
        state = {}

        def signed_in():
            timing = bob.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " const r = performance.getEntriesByType('resource');"
                " return {dom: n.domContentLoadedEventEnd, fcp: (performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint') || {}).startTime || null,"
                " bytes: n.transferSize + r.reduce((s, e) => s + e.transferSize, 0),"
                " decoded: n.decodedBodySize + r.reduce((s, e) => s + e.decodedBodySize, 0)}; }"
            )
            measured["inbox_empty"] = timing
            text = bob.inner_text("main")
            html = bob.content()
            return (
                bob.url.endswith("/inbox") and "Nothing is waiting" in text and TOKENS["bob"] not in html,
                f"{bob.url}: {text[:200]}",
            )

        check("an approver signs in and sees an empty inbox", signed_in)

        def arrives_live():
            navigations.clear()
            state["first"] = held_id(delete("alice", keys["approve"]))
            bob.wait_for_selector(f"article[id='{state['first']}'] button.approve", timeout=15000)
            text = bob.inner_text(f"article[id='{state['first']}']")
            shot = f"{SPEC['shots']}/console-inbox.png"
            bob.screenshot(path=shot, full_page=True)
            arn = f"arn:aws:s3:::{SPEC['bucket']}/{keys['approve']}"
            ok = not navigations and "s3_delete_object" in text and "user:alice" in text and "console test" in text
            ok = ok and arn in text
            return ok, f"navigations: {navigations}; {text[:300]}"

        check("a held call appears in the inbox without reloading", arrives_live)

        def csrf_less_refused():
            answer = bob_context.request.post(
                f"{BASE}/inbox/{state['first']}/decide", form={"verdict": "approve", "reason": "forged"}
            )
            forged_with_wrong_token = bob_context.request.post(
                f"{BASE}/inbox/{state['first']}/decide", form={"verdict": "approve", "csrf": "0" * 64}
            )
            return (
                answer.status == 403 and forged_with_wrong_token.status == 403,
                f"{answer.status} {forged_with_wrong_token.status}: {answer.text()[:200]}",
            )

        check("a POST without the CSRF token is refused", csrf_less_refused)

        def approve_with_reason():
            article = f"article[id='{state['first']}']"
            bob.fill(f"{article} input[name=reason]", "checked the key with alice")
            with bob.expect_navigation():
                bob.click(f"{article} button.approve")
            notice = bob.inner_text(".notice")
            retried = delete("alice", keys["approve"])
            ok = "You approved" in notice and not retried[0] and retried[2] is not None and "awsgate" not in retried[2]
            return ok, f"{notice} / agent retry: {retried[1][:200]}"

        check("approving with a reason lets the agent's repeated call proceed", approve_with_reason)

        def decided_elsewhere_disappears():
            navigations.clear()
            state["elsewhere"] = held_id(delete("alice", keys["elsewhere"]))
            selector = f"article[id='{state['elsewhere']}']"
            bob.wait_for_selector(selector, timeout=15000)
            status = api_decide("carol", state["elsewhere"], "approve", "approved through the API")
            bob.wait_for_selector(selector, state="detached", timeout=15000)
            return status == 200 and not navigations, f"api {status}; navigations {navigations}"

        check("a request decided elsewhere leaves the inbox without reloading", decided_elsewhere_disappears)

        def deny_with_reason():
            state["deny"] = held_id(delete("alice", keys["deny"]))
            article = f"article[id='{state['deny']}']"
            bob.wait_for_selector(f"{article} button.deny", timeout=15000)
            bob.fill(f"{article} input[name=reason]", "not during the freeze")
            with bob.expect_navigation():
                bob.click(f"{article} button.deny")
            retried = delete("alice", keys["deny"])
            ok = retried[0] and "denied" in retried[1] and "not during the freeze" in retried[1]
            return ok, retried[1][:300]

        check("denying with a reason refuses the agent's repeated call", deny_with_reason)

        alice_context, alice = sign_in(browser, "alice")

        def own_request_has_no_button():
            state["own"] = held_id(delete("alice", keys["own"]))
            alice.goto(f"{BASE}/inbox")
            article = f"article[id='{state['own']}']"
            alice.wait_for_selector(article, timeout=15000)
            buttons = alice.locator(f"{article} button").count()
            csrf = alice.get_attribute("form.signout input[name=csrf]", "value")
            forged = alice_context.request.post(
                f"{BASE}/inbox/{state['own']}/decide", form={"verdict": "approve", "csrf": csrf}
            )
            body = forged.text()
            ok = buttons == 0 and "your own request" in alice.inner_text(article) and forged.status == 403
            return ok and "cannot decide it" in body, f"buttons {buttons}; forged {forged.status}: {body[-300:]}"

        check("a requester sees no button for their own request and a forged POST is refused", own_request_has_no_button)

        def stranger_forbidden():
            context, page = sign_in(browser, "mallory")
            answer = page.goto(f"{BASE}/inbox")
            text = page.inner_text("main")
            context.close()
            return answer.status == 403 and "approves nothing" in text, f"{answer.status}: {text[:200]}"

        check("someone who approves nothing gets 403", stranger_forbidden)

        def history_shows_decisions():
            bob.goto(f"{BASE}/history")
            text = bob.inner_text("main")
            first = bob.inner_text(f"tr[id='{state['first']}'] td.state")
            denied = bob.inner_text(f"tr[id='{state['deny']}'] td.state")
            bob.goto(f"{BASE}/history?state=denied")
            only_denied = bob.locator("tbody tr").count()
            ok = first == "consumed" and denied == "denied" and only_denied == 1
            return ok and "checked the key with alice" in text, f"{first} {denied} {only_denied}: {text[:300]}"

        check("history lists decided requests, filterable", history_shows_decisions)

        def reviewer_reads_a_transcript():
            context, page = sign_in(browser, "rita")
            landed = page.url
            page.goto(f"{BASE}/sessions?principal=alice")
            every = page.locator("tbody a").count()
            page.goto(f"{BASE}/sessions?principal=alice&tool=s3_delete&status=ok")
            links = [a.get_attribute("href") for a in page.locator("tbody a").all()]
            if every < 5 or len(links) != 1:
                return False, f"{every} sessions of alice, {len(links)} with a completed delete (want 1)"
            trail = None
            for link in links:
                page.goto(f"{BASE}{link}")
                if "approved by user:bob" in page.inner_text("main"):
                    trail = link
                    break
            if trail is None:
                return False, f"no transcript with the approval trail among {links}"
            page.screenshot(path=f"{SPEC['shots']}/console-transcript.png", full_page=True)
            text = page.inner_text("main")
            state["transcript"] = (context, page, trail)
            ok = landed.endswith("/sessions") and "every decision stands" in text and "s3_delete_object" in text
            return ok, f"landed {landed}; {text[:400]}"

        check("a reviewer lands on sessions and reads a transcript with its approval trail", reviewer_reads_a_transcript)

        def reevaluation_under_a_review_policy():
            context, page, trail = state["transcript"]
            page.goto(f"{BASE}{trail}")
            page.select_option("#under", label="next.toml")
            with page.expect_navigation():
                page.click("form.filters button")
            text = page.inner_text("main")
            now = page.locator("dd.now").all_inner_texts()
            page.goto(f"{BASE}{trail}")
            stands = "every decision stands" in page.inner_text("main")
            ok = "would be decided differently" in text and any(n.startswith("deny (next-freeze)") for n in now)
            return ok and stands, f"{now}; in force still stands: {stands}"

        check("re-evaluation under a review policy the reviewer picks", reevaluation_under_a_review_policy)

        def reevaluation_shows_a_changed_decision():
            context, page, trail = state["transcript"]
            with open(SPEC["policy_path"], "w") as f:
                f.write(SPEC["policy_after"])
            for _ in range(60):
                page.goto(f"{BASE}{trail}")
                if "would be decided differently" in page.inner_text("main"):
                    break
                page.wait_for_timeout(250)
            now = page.locator("dd.now").all_inner_texts()
            context.close()
            return any(n.startswith("deny (change-freeze)") for n in now), f"{now}"

        check("re-evaluation under a changed policy shows the changed decision", reevaluation_shows_a_changed_decision)

        def integrity_page():
            context, page = sign_in(browser, "rita")
            page.goto(f"{BASE}/integrity")
            verdict = page.inner_text("#verdict")
            chain = page.inner_text("#chain")
            checkpoints = page.inner_text("#checkpoints")
            latest = page.inner_text("#latest")
            context.close()
            ok = "Nothing was found wrong" in verdict and chain.startswith("intact:") and "signed by the pinned key" in checkpoints
            return ok and latest.startswith("event "), f"{verdict} / {chain} / {checkpoints} / {latest}"

        check("the integrity page shows the chain and its signed checkpoints intact", integrity_page)

        def policy_page_explains():
            context, page = sign_in(browser, "rita")
            page.goto(f"{BASE}/policy")
            page.fill("#principal", "user:alice")
            page.fill("#tool", "s3_delete_object")
            page.fill("#args", json.dumps({"bucket": SPEC["bucket"], "key": "own"}))
            with page.expect_navigation():
                page.click("form.filters button")
            decision = page.inner_text("#decision")
            text = page.inner_text("#explained")
            rules = page.inner_text("table")
            context.close()
            ok = decision == "deny" and "change-freeze" in text and "deletes-need-a-second-person" in rules
            return ok, f"{decision}: {text[:300]}"

        check("the policy page explains a call under the policy in force", policy_page_explains)

        def approver_is_not_a_reviewer():
            answer = bob.goto(f"{BASE}/sessions")
            text = bob.inner_text("main")
            return answer.status == 403 and "not among the policy" in text, f"{answer.status}: {text[:200]}"

        check("someone who is not a reviewer gets 403 on sessions", approver_is_not_a_reviewer)

        def sign_out_ends_the_session():
            with bob.expect_navigation():
                bob.click("form.signout button")
            answer = bob.goto(f"{BASE}/inbox")
            return bob.url.endswith("/login") and answer.status == 200, bob.url

        check("signing out ends the session", sign_out_ends_the_session)
        alice_context.close()
        bob_context.close()
        browser.close()
    print(json.dumps({"measured": measured}), flush=True)


def oidc_sign_in(browser, user, lands="/inbox"):
    """Signs `user` in through the identity provider; returns (context, page, the callback URL)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{BASE}/inbox")
    assert page.url.endswith("/login"), page.url
    page.click("#oidc")
    page.wait_for_selector("#user")
    page.fill("#user", user)
    callbacks = []
    page.on("request", lambda r: callbacks.append(r.url) if "/login/callback" in r.url else None)
    page.click("#go")
    page.wait_for_url(lambda url: urllib.parse.urlparse(url).path == lands, timeout=15000)
    return context, page, callbacks[0] if callbacks else ""


def main_oidc():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=SPEC["chromium"], args=SPEC["chromium_args"])
        state = {}

        def signs_in():
            context, page, callback = oidc_sign_in(browser, "bob")
            state["bob"] = (context, page, callback)
            text = page.inner_text("body")
            ok = page.url.endswith("/inbox") and "user:bob" in text and "Waiting for a decision" in text
            return ok and "id_token" not in callback and "code=" in callback, f"{page.url}: {text[:200]}"

        check("an approver signs in through the identity provider (code flow, PKCE)", signs_in)

        def callback_replay_refused():
            context, page, callback = state["bob"]
            again = context.new_page()
            answer = again.goto(callback)
            text = again.inner_text("main")
            again.close()
            return answer.status == 400 and "sign in again" in text, f"{answer.status}: {text[:200]}"

        check("a used callback (code and state) is refused", callback_replay_refused)

        def forged_state_refused():
            context = browser.new_context()
            page = context.new_page()
            answer = page.goto(f"{BASE}/login/callback?code=made-up&state=made-up")
            text = page.inner_text("main")
            context.close()
            return answer.status == 400 and "sign in again" in text, f"{answer.status}: {text[:200]}"

        check("a callback this browser did not start is refused", forged_state_refused)

        def revoked_person_refused():
            context, page, _ = oidc_sign_in(browser, "carol", lands="/login/callback")
            text = page.inner_text("main")
            signed = context.cookies()
            context.close()
            ok = "Not signed in" in text and "revoked" in text and not any(c["name"] == "awsgate_console" for c in signed)
            return ok, f"{page.url}: {text[:300]}"

        check("a revoked person cannot sign in", revoked_person_refused)

        def sign_out():
            context, page, _ = state["bob"]
            with page.expect_navigation():
                page.click("form.signout button")
            ok = page.url.endswith("/login") and page.locator("#oidc").count() == 1
            context.close()
            return ok, page.url

        check("signing out returns to the sign-in page", sign_out)
        browser.close()


if __name__ == "__main__":
    try:
        main_oidc() if SPEC.get("scenario") == "oidc" else main()
    except BaseException:  # noqa: BLE001 - the harness reads the failure
        report("browser run", False, traceback.format_exc())
        sys.exit(1)
