"""The analytics report as one HTML file (`render_report`): it loads nothing from
elsewhere, escapes members' text, shows figures formatted for reading and the four charts,
and still renders a period with no data. Then the same page in Debian's headless
Chromium: no console error, the charts drawn and visible, printable to PDF without
backgrounds. The screenshot goes to var/screenshots/report.png and the page beside it
(var/screenshots/report.html), for a person to look at.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import pytest

from bot.reporting.formats import duration
from bot.reporting.html import render_report
from bot.settings import PROJECT_ROOT
from tests.web.browser import chromium_or_skip

SHOTS = PROJECT_ROOT / "var" / "screenshots"
CHARTS = ("chart-funnel", "chart-containment", "chart-csat", "chart-fallback")
SCRIPT = "<script>alert(1)</script>"
STEPS = ("linked_chat", "password_set", "products", "all_ticks", "invited", "level_chosen", "paid")
REASONS = ("member_request", "no_migration", "misunderstood", "staff_unreachable", "other")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def section(
    conversations: int,
    contained: int,
    reasons: dict[str, int],
    not_understood: int,
    top: list[dict[str, Any]],
    ratings: dict[int, int],
    funnel: list[int],
    claim: tuple[float, float] | None = (300.0, 540.0),
    resolve: tuple[float, float] | None = (1200.0, 4800.0),
) -> dict[str, Any]:
    """A SECTION of the report's JSON, its rates derived as the report derives them."""
    handed_off = sum(reasons.values())
    turns = conversations * 4
    rated = sum(ratings.values())
    score = sum(r * n for r, n in ratings.items())
    members = [
        {"step": s, "members": n, "drop_off": None} for s, n in zip(STEPS, funnel, strict=False)
    ]
    for before, step in pairwise(members):
        step["drop_off"] = before["members"] - step["members"]
    return {
        "conversations": conversations,
        "turns": turns,
        "containment": {
            "contained": contained,
            "rate": _rate(contained, conversations),
            "handed_off": handed_off,
            "handoff_rate": _rate(handed_off, conversations),
            "by_reason": {reason: reasons.get(reason, 0) for reason in REASONS},
            "unresolved": conversations - contained - handed_off,
        },
        "fallback": {
            "turns": turns,
            "not_understood": not_understood,
            "rate": _rate(not_understood, turns),
            "top": top,
        },
        "csat": {
            "ratings": rated,
            "average": round(score / rated, 4) if rated else None,
            "distribution": {str(r): ratings.get(r, 0) for r in range(1, 6)},
            "handoffs": handed_off,
            "rated_share": _rate(rated, handed_off),
        },
        "handoffs": {
            "opened": handed_off,
            "claimed": max(handed_off - 1, 0),
            "resolved": max(handed_off - 1, 0),
            "time_to_claim": {
                "median_seconds": claim[0] if claim else None,
                "p90_seconds": claim[1] if claim else None,
            },
            "time_to_resolve": {
                "median_seconds": resolve[0] if resolve else None,
                "p90_seconds": resolve[1] if resolve else None,
            },
            "sla_reminders": 1 if handed_off else 0,
            "open_now": 1 if handed_off else 0,
        },
        "funnel": members,
        "flows": {
            "register_product": {
                "started": 3,
                "completed": 2,
                "declined": 0,
                "cancelled": 1,
                "unfinished": 0,
            },
            "set_password": {
                "started": 4,
                "completed": 4,
                "declined": 0,
                "cancelled": 0,
                "unfinished": 0,
            },
        }
        if conversations
        else {},
    }


def busy_report() -> dict[str, Any]:
    """A week with two languages and two channels, one day without any conversation."""
    top = [
        {"text": "asdf qwerty", "count": 2},
        {"text": SCRIPT, "count": 1},
        {"text": "see https://evil.example/x.png", "count": 1},
    ]
    reasons = {"member_request": 1, "no_migration": 1, "misunderstood": 1}
    overall = section(10, 6, reasons, 4, top, {4: 2, 5: 1}, [5, 3, 3, 2, 2, 1, 1])
    italian = section(6, 4, {"member_request": 1, "misunderstood": 1}, 3, top[:2], {4: 2}, [3])
    english = section(4, 2, {"no_migration": 1}, 1, top[2:], {5: 1}, [2])
    telegram = section(7, 4, {"member_request": 1, "misunderstood": 1}, 3, top, {4: 1}, [4])
    console = section(3, 2, {"no_migration": 1}, 1, [], {4: 1, 5: 1}, [1])
    days = [(27, 3, 2, 1), (28, 2, 1, 1), (29, 0, 0, 0), (30, 1, 1, 0)]
    days += [(1, 2, 1, 0), (2, 1, 0, 1), (3, 1, 1, 0)]
    over_time = [
        {
            "day": f"2026-{'11' if d > 20 else '12'}-{d:02d}",
            "conversations": n,
            "contained": c,
            "handed_off": h,
            "containment": _rate(c, n),
        }
        for d, n, c, h in days
    ]
    return {
        "period": {"since": "2026-11-27", "until": "2026-12-03", "days": 7},
        "generated_at": "2026-12-04T10:00:00+00:00",
        "overall": overall,
        "by_language": {"it": italian, "en": english},
        "by_channel": {"telegram": telegram, "console": console},
        "over_time": over_time,
    }


def quiet_report() -> dict[str, Any]:
    """A week in which nobody wrote: every rate null, nothing rated, nothing to chart."""
    nothing = section(0, 0, {}, 0, [], {}, [0] * 7, claim=None, resolve=None)
    return {
        "period": {"since": "2026-11-27", "until": "2026-12-03", "days": 7},
        "generated_at": "2026-12-04T10:00:00+00:00",
        "overall": nothing,
        "by_language": {},
        "by_channel": {},
        "over_time": [
            {"day": f"2026-12-0{d}", "conversations": 0, "contained": 0, "handed_off": 0}
            | {"containment": None}
            for d in range(1, 8)
        ],
    }


def figure(html: str, chart_id: str) -> str:
    found = re.search(rf'<figure id="{chart_id}".*?</figure>', html, re.DOTALL)
    assert found, f"no figure {chart_id}"
    return found.group(0)


def shown_text(html: str) -> str:
    """The body's text, as a reader sees it (no tags, no style sheet)."""
    body = html.split("<body>", 1)[1]
    return re.sub(r"<[^>]+>", " ", body)


def bars(html: str, chart_id: str) -> int:
    return figure(html, chart_id).count("<rect ")


def test_the_page_loads_nothing_from_elsewhere():
    html = render_report(busy_report())

    references = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", html, re.IGNORECASE)
    references += re.findall(r"""url\(\s*["']?([^"')\s]*)""", html, re.IGNORECASE)
    assert references == ["data:,"]  # the empty favicon, so Chromium asks for none
    assert not any(re.match(r"(https?:)?//", ref, re.IGNORECASE) for ref in references)
    assert "<script" not in html.lower() and "@import" not in html and "@font-face" not in html
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert f'<meta http-equiv="Content-Security-Policy" content="{policy}">' in html
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<title>Support bot report, 27 Nov 2026 to 3 Dec 2026</title>" in html


def test_members_text_is_shown_escaped_never_as_markup():
    html = render_report(busy_report())

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html
    assert "see https://evil.example/x.png</td>" in html  # text, not a link or an image
    assert "<a " not in html and "<img" not in html


def test_each_chart_is_a_captioned_figure_with_an_accessible_drawing():
    html = render_report(busy_report())

    for chart_id in CHARTS:
        drawn = figure(html, chart_id)
        assert "<figcaption>" in drawn
        assert re.search(r'<svg role="img" aria-label="[^"]+"', drawn)
        assert re.search(r"<svg[^>]*>\s*<title>[^<]+</title>", drawn)
        assert bars(html, chart_id) > 0
    assert bars(html, "chart-funnel") == 7
    assert bars(html, "chart-csat") == 5
    assert bars(html, "chart-fallback") == 2


def test_bars_are_labelled_with_their_values():
    html = render_report(busy_report())

    funnel = figure(html, "chart-funnel")
    assert ">Chat linked to the account — 5</text>" in funnel  # the first step: no drop
    assert ">Password set — 3 (−2)</text>" in funnel
    assert ">Payment chosen (membership active) — 1 (−0)</text>" in funnel
    containment = figure(html, "chart-containment")
    assert ">67%</text>" in containment and ">27 Nov</text>" in containment
    csat = figure(html, "chart-csat")
    assert re.findall(r'<text class="value"[^>]*>(\d+)</text>', csat) == ["0", "0", "0", "2", "1"]
    fallback = figure(html, "chart-fallback")
    assert ">12.5%</text>" in fallback and ">Italian (it)</text>" in fallback
    assert ">6.2%</text>" in fallback and ">English (en)</text>" in fallback


def test_a_day_without_conversations_is_a_gap_in_the_containment_chart():
    html = render_report(busy_report())

    assert bars(html, "chart-containment") == 6  # seven days, 29 Nov had no conversation
    assert ">29 Nov</text>" in figure(html, "chart-containment")
    assert "29 Nov: no conversations" in figure(html, "chart-containment")


def test_figures_read_as_rates_counts_and_durations():
    html = render_report(busy_report())
    text = shown_text(html)

    assert re.search(r"Containment\s+60.0%\s+6 closed without a person", text)
    assert re.search(r"Handoff rate\s+30.0%", text)
    assert re.search(r"Fallback rate\s+10.0%\s+4 of 40 turns not understood", text)
    assert re.search(r"CSAT\s+4.3 / 5\s+3 ratings", text)
    assert re.search(r"Time to claim\s+5 min\s+9 min", text)
    assert re.search(r"Time to resolve\s+20 min\s+1 h 20 min", text)
    assert re.search(r"Not understood three times\s+1\s+33.3%", text)
    assert re.search(r"Staff could not be reached\s+0\s+0.0%", text)
    assert re.search(r"Register product\s+3\s+2\s+66.7%", text)
    assert re.search(r"Password set\s+3\s+2\s+60.0%", text)  # the funnel: of the first step
    assert re.search(r"Italian \(it\)\s+6\s+24\s+66.7%", text)
    assert re.search(r"Telegram\s+7\s+28\s+57.1%", text)
    assert re.search(r"Console\s+3\s+12\s+66.7%", text)


def test_a_period_with_no_data_still_renders_and_says_so():
    html = render_report(quiet_report())
    text = shown_text(html)

    for chart_id in CHARTS:
        assert "No data in this period" in figure(html, chart_id)
        assert bars(html, chart_id) == 0
    assert not re.search(r"\b(nan|inf|None|null)\b", text, re.IGNORECASE)
    assert re.search(r"Containment\s+—", text) and re.search(r"CSAT\s+—\s+0 ratings", text)
    assert re.search(r"Time to claim\s+—\s+—", text)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (45.0, "45 s"),
        (300.0, "5 min"),
        (3599.0, "1 h"),
        (4800.0, "1 h 20 min"),
        (7200.0, "2 h"),
        (93_600.0, "1 d 2 h"),
    ],
)
def test_durations_read_as_people_say_them(seconds, shown):
    assert duration(seconds) == shown


@pytest.mark.browser
def test_the_page_in_chromium_draws_its_charts_and_prints(tmp_path):
    chromium = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    busy = SHOTS / "report.html"
    busy.write_text(render_report(busy_report()), encoding="utf-8")
    quiet = tmp_path / "quiet.html"
    quiet.write_text(render_report(quiet_report()), encoding="utf-8")
    screenshot = SHOTS / "report.png"
    screenshot.unlink(missing_ok=True)
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))

        page.goto(busy.as_uri())
        for chart_id in CHARTS:
            drawing = page.locator(f"#{chart_id} svg")
            assert drawing.is_visible()
            box = drawing.bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0
            assert drawing.locator("rect, path").count() > 0
        assert "Chat linked to the account — 5" in page.locator("#chart-funnel svg").text_content()
        assert page.get_by_text(SCRIPT, exact=True).is_visible()  # shown, not run
        page.screenshot(path=str(screenshot), full_page=True)

        page.emulate_media(media="print")
        assert page.evaluate(INKED_BACKGROUNDS) == []
        avoided = page.evaluate(
            "[...document.querySelectorAll('figure')].map(f => getComputedStyle(f).breakInside)"
        )
        assert avoided == ["avoid"] * 4
        pdf = page.pdf(format="A4")

        page.emulate_media(media="screen")
        page.goto(quiet.as_uri())
        for chart_id in CHARTS:
            drawing = page.locator(f"#{chart_id} svg")
            assert drawing.is_visible() and "No data in this period" in (
                drawing.text_content() or ""
            )
        browser.close()

    assert problems == []
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.startswith(b"%PDF")


INKED_BACKGROUNDS = """
[...document.querySelectorAll('*')].filter(el => {
  const style = getComputedStyle(el);
  const colour = style.backgroundColor;
  const blank = colour === 'rgba(0, 0, 0, 0)' || colour === 'rgb(255, 255, 255)';
  return !blank || style.backgroundImage !== 'none';
}).map(el => el.tagName + '.' + el.className)
"""
