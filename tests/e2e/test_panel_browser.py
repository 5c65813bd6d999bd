"""The panel in a real headless Chromium (Debian's `chromium`, driven by Playwright) against a real running appliance
that records its calls, after a real SIP call in which a caller leaves a message: the owner signs in with a TOTP
code, adds a team member, finds the call, reads its transcript, plays its recording, assigns the message, exports
the caller and erases them. Screenshots of each page go to the test's folder (printed; run with -s to see it)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp
import pytest

from tests.e2e.conftest import stored_call
from tests.e2e.support import RECEPTIONIST, ROOT, RunningAppliance, place_call, record_calls, start_appliance

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.sip
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is missing: run scripts/setup.sh --dev")

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser downloads are not used
PASSWORD = "violet tractor moonbeam"
TEAM_PASSWORD = "copper lantern orchard"
CALLER = "5550123"  # the caller ID of the test call


class Shots:
    """Screenshots of the pages the owner saw, numbered in order, in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.taken = folder, list[str]()
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path.name)


@pytest.fixture(scope="module")
def recording_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    """A real appliance whose business records calls, with one owner made on the console (no TOTP yet)."""
    folder = tmp_path_factory.mktemp("browser-box")
    record_calls(folder)
    made = subprocess.run([*RECEPTIONIST, "users", "add", "--role", "owner", "olga", "--config",
                           str(folder / "config.toml")], input=f"{PASSWORD}\n", capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert made.returncode == 0, made.stderr
    running = start_appliance(folder)
    yield running
    assert running.stop() == 0
    assert "Traceback" not in running.log.read_text()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; skipped with the reason when it is missing or cannot start here."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing: run scripts/setup.sh --dev (Debian package chromium)")
    with playwright.sync_playwright() as driver:
        try:
            launched = driver.chromium.launch(executable_path=CHROMIUM, args=[
                "--autoplay-policy=no-user-gesture-required"])  # the test presses play from script
        except playwright.Error as exc:
            pytest.skip(f"Chromium does not start here: {exc}")
        yield launched
        launched.close()


def a_call_that_leaves_a_message(box: RunningAppliance, questions: dict[str, Path], folder: Path) -> dict[str, Any]:
    """A real SIP call (espeak-ng's voice): the caller wants an appointment, leaves a message and confirms the
    number read back; the stored call, once it has ended and its recording is saved."""
    said = [arg for name in ("booking", "message", "yes") for arg in ("--say", str(questions[name]))]
    result = place_call(box.uri(), folder, *said, "--identity", CALLER)
    deadline = time.monotonic() + 20  # the store's writer saves the end and the recording after the hang-up
    while True:
        record = stored_call(box, result["sip_call_id"])
        recorded = list((box.data_dir / "recordings").glob("*.rec"))
        if (record["outcome"] != "in-progress" and recorded) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert record["outcome"] == "message-taken", record["turns"]
    assert recorded, "the call was not recorded"
    return record


def test_an_owner_works_a_real_call_in_the_browser(recording_box: RunningAppliance, questions: dict[str, Path],
                                                   browser: Browser, tmp_path: Path) -> None:
    began = time.monotonic()
    record = a_call_that_leaves_a_message(recording_box, questions, tmp_path / "call")
    called = time.monotonic()
    shots = Shots(tmp_path / "screenshots")
    print(f"\nscreenshots: {shots.folder}")
    context = browser.new_context(base_url=f"https://127.0.0.1:{recording_box.web_port}", accept_downloads=True,
                                  ignore_https_errors=True)  # the box's own self-signed certificate
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_totp(page, shots)
        add_team_member(page, "sam")
        call_id = find_the_call(page, shots, record)
        play_the_recording(page)
        assign_the_message(page, shots, call_id, "sam")
        contact_id = export_the_caller(page, shots, call_id, tmp_path)
        erase_the_caller(page, shots, contact_id, call_id)
        read_the_audit_log(page, shots)
    except Exception:
        shots(page, "failed-here")  # what the browser showed when a step failed
        raise
    finally:
        context.close()
    print("taken:", ", ".join(shots.taken))
    print(f"the call: {called - began:.1f} s; the browser: {time.monotonic() - called:.1f} s")


def sign_in_with_totp(page: Page, shots: Shots) -> None:
    """First sign-in: password, then set up the authenticator (its key typed from the page) and see the recovery
    codes; sign out, and sign in again with the password and the next TOTP code."""
    page.goto("/")
    assert page.url.endswith("/signin?next=/")
    shots(page, "sign-in")
    submit_password(page)
    page.wait_for_url("**/enrol**")
    secret = "".join(page.inner_text(".secret").split())
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button:has-text('Turn it on')")
    assert "shown only now" in page.inner_text("main")
    page.click("text=I have saved them")
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/signin**")
    submit_password(page)
    page.wait_for_url("**/second-factor**")
    shots(page, "second-factor")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # the next code: enrolment used this one
    page.click("button:has-text('Continue')")
    page.wait_for_url(lambda url: "/second-factor" not in url)
    assert "olga · owner" in page.inner_text("header")


def submit_password(page: Page) -> None:
    page.fill("#username", "olga")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")


def add_team_member(page: Page, name: str) -> None:
    """The owner adds a staff member on the Users page (someone to give the message to)."""
    page.click("header >> text=Users")
    page.fill("#username", name)
    page.fill("#password", TEAM_PASSWORD)
    page.select_option("#role", "staff")
    page.click("button:has-text('Add the user')")
    assert f"Added {name} as staff" in page.inner_text("main")


def find_the_call(page: Page, shots: Shots, record: dict[str, Any]) -> str:
    """Search the call log by the caller's number, open the call and read its transcript; the call's id."""
    page.click("header >> text=Calls")
    page.fill("input[name=number]", CALLER)
    page.click("button:has-text('Search')")
    rows = page.locator("table.calls tbody tr")
    assert rows.count() == 1 and "message-taken" in rows.inner_text()
    shots(page, "calls")
    rows.locator("td a").first.click()
    page.wait_for_url("**/calls/*")
    call_id = str(page.url).rsplit("/", 1)[1]
    assert call_id == record["id"]
    transcript = page.inner_text("ol.turns")
    assert "next week" in transcript.lower() and "I've taken your message" in transcript
    assert record["sip_call_id"] in page.inner_text("dl.facts")
    shots(page, "call")
    return call_id


def play_the_recording(page: Page) -> None:
    """Press play: the WAV streams from the panel (200 audio/wav) and the player knows its length and plays."""
    with page.expect_response(lambda response: "/recordings/" in response.url) as answered:
        state = page.evaluate("""async () => {
            const audio = document.querySelector('audio');
            await audio.play();
            await new Promise(done => setTimeout(done, 700));
            return {readyState: audio.readyState, duration: audio.duration, at: audio.currentTime,
                    error: audio.error && audio.error.message};
        }""")
    response = answered.value
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    assert state["error"] is None and state["readyState"] >= 2, state  # HAVE_CURRENT_DATA or more
    assert state["duration"] > 3 and state["at"] > 0, state


def assign_the_message(page: Page, shots: Shots, call_id: str, name: str) -> None:
    """In the inbox, give the call's new message to the team member; it moves to Assigned, with them."""
    page.click("header >> text=Messages")
    assert page.locator("header .count").inner_text() == "1"  # the new message counted in the header
    item = page.locator(".inbox-item", has=page.locator(f"a[href='/calls/{call_id}']"))
    assert "please call me" in item.inner_text().lower()
    shots(page, "messages")
    item.locator("select[name=user_id]").select_option(label=name)
    item.locator("button:has-text('Assign')").click()
    page.click("text=Assigned (1)")
    assert f"with {name}" in page.locator(".inbox-item").inner_text()
    shots(page, "messages-assigned")


def export_the_caller(page: Page, shots: Shots, call_id: str, folder: Path) -> str:
    """On the caller's page, Export (ZIP): the download arrives with export.json and the recording; the caller's
    id."""
    page.goto(f"/calls/{call_id}")
    page.click("main p a[href^='/callers/']")
    page.wait_for_url("**/callers/*")
    contact_id = str(page.url).rsplit("/", 1)[1]
    shots(page, "caller")
    with page.expect_download() as downloading:
        page.click("button:has-text('Export (ZIP)')")
    saved = folder / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        names = archive.namelist()
        exported = json.loads(archive.read("export.json"))
    assert any(name.startswith("recordings/") and name.endswith(".wav") for name in names), names
    assert call_id in json.dumps(exported)
    return contact_id


def erase_the_caller(page: Page, shots: Shots, contact_id: str, call_id: str) -> None:
    """Erase: the page shows what goes and asks for the password again (a wrong one erases nothing); afterwards
    the call is gone from the log."""
    page.click("text=Erase this caller")
    assert "1 recording" in page.inner_text("ul.destroy")
    shots(page, "erase")
    page.fill("input[name=password]", "not my password at all")
    page.click("button:has-text('Erase for good')")
    assert "nothing was erased" in page.inner_text("main")
    page.goto(f"/callers/{contact_id}/erase")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Erase for good')")
    assert "Caller erased" in page.inner_text("h1")
    shots(page, "erased")
    gone = page.goto(f"/calls/{call_id}")
    assert gone is not None and gone.status == 404 and "may have been erased" in page.inner_text("main")
    page.goto(f"/calls?number={CALLER}")
    assert "No calls match" in page.inner_text("main")


def read_the_audit_log(page: Page, shots: Shots) -> None:
    """The owner's Audit log has the sign-ins, the playback, the export, the refused and the done erasure, all by
    her and from where she was."""
    page.click("header >> text=Audit log")
    rows = [row.split("\t") for row in page.inner_text("table").splitlines()[1:]]
    done = {(row[1], row[2]) for row in rows  # where from: the From column, or (export, erase) the detail
            if len(row) > 5 and (row[5] == "127.0.0.1" or row[4].endswith("from 127.0.0.1"))}
    for action in ("signin", "play", "export", "erase-refused", "erase"):
        assert ("olga", action) in done, (action, rows)
    shots(page, "audit")
