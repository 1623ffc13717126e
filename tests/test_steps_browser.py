"""The step-through page (``gradcli graph --html``) in a real browser.

Pages are made by the installed ``gradcli`` console script and opened from disk
(file://) in Debian's chromium, driven by Playwright for Python (no browser download).
Worked example #3 is clicked through step by step and every number in the drawing is
checked at every step; worked example #4 checks the running sum where two paths meet;
a program whose comment tries to inject markup checks the escaping.

Without chromium, Playwright or Graphviz the browser tests are skipped, except when
CI=true: CI installs all three, so there a missing one is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from support import EXAMPLES, cli

from gradcli.render.html import inline_svg, script_json

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UNKNOWN = "·"
WHITE = "#ffffff"

# Worked example #3 after each step (step 0: nothing yet). Columns: the phase, the node
# being worked on, what the drawing shows for x a b c (values, then gradients), and the
# nodes shaded because their gradient is final.
EXAMPLE_3 = [
    ("start", None, "· · · ·", "· · · ·", ""),
    ("forward", "x", "2 · · ·", "· · · ·", ""),
    ("forward", "a", "2 6 · ·", "· · · ·", ""),
    ("forward", "b", "2 6 7 ·", "· · · ·", ""),
    ("forward", "c", "2 6 7 49", "· · · ·", ""),
    ("backward", "c", "2 6 7 49", "· · 14 1", "c"),
    ("backward", "b", "2 6 7 49", "· 14 14 1", "b c"),
    ("backward", "a", "2 6 7 49", "42 14 14 1", "a b c"),
    ("backward", "x", "2 6 7 49", "42 14 14 1", "x a b c"),
]
NAMES_3 = "x a b c".split()

INJECTION = "</script><img src=x onerror=alert(1)>"
HOSTILE_PROGRAM = f"""# {INJECTION} @@SVG@@ {{{{DATA}}}} & "quotes"
x = 2
y = x*x  # <b id="bold">not bold</b> \u2028 </SCRIPT >
"""

# The drawing as the page shows it: for every non-constant node (by its name, the part of
# its first label line before " = "), its label lines and its shape's fill and stroke width.
READ_DRAWING = """() => {
  const out = {};
  for (const g of document.querySelectorAll("#figure g.node")) {
    if (!/^node\\d+$/.test(g.id)) continue;
    const lines = Array.from(g.querySelectorAll("text"), (t) => t.textContent);
    if (lines.length < 3) continue;
    const shape = g.querySelector("polygon, path, ellipse");
    out[lines[0].split(" = ")[0]] = {
      lines, fill: shape.getAttribute("fill"), stroke: shape.getAttribute("stroke-width") };
  }
  return out;
}"""


# --------------------------------------------------------------------------------------
# Making the pages
# --------------------------------------------------------------------------------------


def make_page(program: Path, html: Path) -> str:
    done = cli("graph", "-f", str(program), "--html", str(html), columns=None)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    return html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("dot") is None:
        skip_or_fail("Graphviz's dot is not installed")
    folder = tmp_path_factory.mktemp("steps")
    hostile = folder / "hostile.grad"
    hostile.write_text(HOSTILE_PROGRAM, encoding="utf-8")
    sources = {
        "ex3": EXAMPLES / "03_backward_trace.grad",
        "ex4": EXAMPLES / "04_branching_paths_add.grad",
        "hostile": hostile,
    }
    out = {}
    for key, program in sources.items():
        out[key] = folder / f"{key}.html"
        make_page(program, out[key])
    return out


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, but {reason} (CI installs it)")
    pytest.skip(reason)


# --------------------------------------------------------------------------------------
# Without a browser: the page as a file
# --------------------------------------------------------------------------------------


EXTERNAL = [
    re.compile(r"""\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)""", re.I),
    re.compile(r"<link\b|<iframe\b|<object\b|<embed\b|<base\b|<script\b[^>]*\bsrc\b", re.I),
    re.compile(r"@import|url\(", re.I),
]


@pytest.mark.parametrize("key", ["ex3", "ex4", "hostile"])
def test_page_is_self_contained(pages: dict[str, Path], key: str) -> None:
    text = pages[key].read_text(encoding="utf-8")
    for pattern in EXTERNAL:
        assert not pattern.search(text), pattern.search(text)
    assert text.count("<svg") == 1 and "<?xml" not in text and "<!DOCTYPE svg" not in text
    assert "default-src 'none'" in text  # the page's own policy: no network at all


def test_user_text_is_escaped_in_the_file(pages: dict[str, Path]) -> None:
    text = pages["hostile"].read_text(encoding="utf-8")
    assert text.lower().count("</script") == 2  # the data's and the code's: nothing else
    assert "<img" not in text and "<b " not in text
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "@@SVG@@" in text  # put in once, never expanded again


def test_script_json_cannot_end_the_script() -> None:
    text = script_json({"line": "</script><!-- & \u2028"})
    assert not set("<>&\u2028") & set(text)
    assert "\\u003c/script\\u003e" in text


def test_inline_svg_drops_the_prolog_and_the_fixed_size() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/x.dtd">\n'
        '<!-- Title -->\n<svg width="367pt" height="199pt"\n viewBox="0 0 367 199" xmlns="http://www.w3.org/2000/svg">'
        "<!-- node0 --><g/></svg>\n"
    )
    out = inline_svg(svg)
    assert out.startswith("<svg ") and 'viewBox="0 0 367 199"' in out and out.endswith("</svg>")
    assert "width=" not in out and "height=" not in out and "<!--" not in out and "DOCTYPE" not in out


# --------------------------------------------------------------------------------------
# In the browser
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Page:
    """A page opened from disk, recording errors, dialogs and any request off the disk."""

    def __init__(self, browser, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.as_uri())

    def text(self, selector: str) -> str:
        return self.page.text_content(selector) or ""

    def counter(self) -> str:
        return self.text("#step-counter")

    def drawing(self) -> dict[str, dict]:
        return self.page.evaluate(READ_DRAWING)

    def shown(self, names: list[str]) -> tuple[str, str]:
        """The values and the gradients the drawing shows for these nodes, as two lines."""
        drawing = self.drawing()
        values, grads = [], []
        for name in names:
            lines = drawing[name]["lines"]
            values.append(next(line for line in lines if line.startswith("value ")).removeprefix("value "))
            grads.append(next(line for line in lines if line.startswith("grad ")).removeprefix("grad "))
        return " ".join(values), " ".join(grads)

    def current(self) -> list[str]:
        return [name for name, node in self.drawing().items() if node["stroke"] == "3"]

    def close(self) -> None:
        assert self.errors == []
        assert self.dialogs == []
        assert all(url.startswith("file:") for url in self.requests), self.requests
        self.context.close()


@pytest.fixture
def open_page(browser):
    opened: list[Page] = []

    def open_(path: Path) -> Page:
        opened.append(Page(browser, path))
        return opened[-1]

    yield open_
    for page in opened:
        page.close()


def test_example_3_every_step(pages: dict[str, Path], open_page, tmp_path_factory: pytest.TempPathFactory) -> None:
    page = open_page(pages["ex3"])
    total = len(EXAMPLE_3) - 1
    assert page.counter() == f"step 0 of {total} — start"
    assert page.text("#step-title") == "press → to start"
    assert page.page.is_disabled("#prev")
    for k, (phase, node, values, grads, shaded) in enumerate(EXAMPLE_3):
        if k > 0:
            page.page.click("#next")
        where = f"step {k}"
        assert page.counter() == f"step {k} of {total} — {phase}", where
        assert page.shown(NAMES_3) == (values, grads), where
        assert page.current() == ([node] if node else []), where
        if node:
            assert page.text("#step-title") == f"{phase}: {node}", where
        drawing = page.drawing()
        assert {name for name in NAMES_3 if drawing[name]["fill"] != WHITE} == set(shaded.split()), where
        lines = page.text("#step-lines")
        if k == 2:
            assert "a = x*3 = 2*3 = 6" in lines
        edge_bc = page.page.get_attribute("#edge5_0 path", "stroke")  # b -> c, lit while c is worked on
        assert edge_bc == {4: "#1f77b4", 5: "#e6550d"}.get(k, "black"), where
        if k == 5:
            assert "dc/dc = 1 (the seed)" in lines
            assert "∂c/∂b = 2*b = 14" in lines and "14 × 1 = 14 → b" in lines
            assert page.page.is_visible("#chain-hint")
        if k == 7:
            assert "∂a/∂x = 3" in lines and "3 × 14 = 42 → x" in lines
    assert page.page.is_disabled("#next")
    assert page.shown(["x"]) == ("2", "42")
    assert "dc/dx = 42" in page.text("#summary") and page.page.is_visible("#summary")
    assert page.page.get_attribute("#pass-backward", "class") == "pass backward active"
    shot = tmp_path_factory.mktemp("screenshots") / "example3_final.png"
    page.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_prev_and_keys(pages: dict[str, Path], open_page) -> None:
    page = open_page(pages["ex3"])
    page.page.click("#next")
    page.page.click("#next")
    assert page.shown(["a"]) == ("6", UNKNOWN)
    page.page.click("#prev")
    assert page.counter() == "step 1 of 8 — forward"
    assert page.shown(NAMES_3) == ("2 · · ·", "· · · ·")  # a's value is gone again
    page.page.keyboard.press("ArrowRight")
    page.page.keyboard.press("ArrowRight")
    assert page.counter() == "step 3 of 8 — forward"
    page.page.keyboard.press("ArrowLeft")
    assert page.counter() == "step 2 of 8 — forward"
    page.page.keyboard.press("End")
    assert page.counter() == "step 8 of 8 — backward"
    assert page.shown(NAMES_3) == ("2 6 7 49", "42 14 14 1")
    page.page.keyboard.press("ArrowRight")  # nothing after the last step
    assert page.counter() == "step 8 of 8 — backward"
    page.page.keyboard.press("ArrowLeft")
    assert page.shown(["x"]) == ("2", "42") and page.drawing()["x"]["fill"] == WHITE  # arrived, not final yet
    page.page.keyboard.press("Home")
    assert page.counter() == "step 0 of 8 — start"
    assert page.shown(NAMES_3) == ("· · · ·", "· · · ·")
    assert page.current() == []


def test_play_advances_and_pauses(pages: dict[str, Path], open_page) -> None:
    from playwright.sync_api import expect  # (the page's policy forbids wait_for_function's eval)

    page = open_page(pages["ex3"])
    page.page.select_option("#speed", "300")
    page.page.click("#play")
    assert "Pause" in page.text("#play")
    expect(page.page.locator("#step-counter")).to_have_text(re.compile("^step [2-7] "))
    page.page.click("#play")
    assert "Play" in page.text("#play")
    paused_at = page.counter()
    page.page.wait_for_timeout(700)
    assert page.counter() == paused_at
    page.page.keyboard.press("Space")  # the keyboard's play
    expect(page.page.locator("#step-counter")).to_have_text(re.compile("^step 8 "))
    expect(page.page.locator("#play")).to_contain_text("Play")  # it stops at the end by itself
    assert page.shown(["x"]) == ("2", "42")


def test_example_4_running_sum(pages: dict[str, Path], open_page) -> None:
    page = open_page(pages["ex4"])
    names = "x a b c".split()
    page.page.keyboard.press("ArrowRight")
    assert page.text("#step-lines") == "x = 3 (input)"
    for _ in range(5):
        page.page.click("#next")
    assert page.text("#step-title") == "backward: b"
    assert page.shown(names) == ("3 9 15 24", "5 1 1 1")  # 5 from b: the first of the two paths
    assert page.page.locator("#step-lines .running").count() == 0
    page.page.click("#next")
    assert page.text("#step-title") == "backward: a"
    assert "2*x = 6" in page.text("#step-lines") and "6 × 1 = 6 → x" in page.text("#step-lines")
    assert page.text("#step-lines .running") == "(running sum 11)"
    assert page.page.is_visible("#step-lines .running")
    assert page.shown(names) == ("3 9 15 24", "11 1 1 1")
    page.page.click("#next")
    assert page.counter() == "step 8 of 8 — backward"
    assert page.text("#step-lines") == "gradient of x = 5 from b + 6 from a = 11"
    assert page.shown(["x"]) == ("3", "11") and page.drawing()["x"]["fill"] != WHITE


def test_hostile_comment_stays_text(pages: dict[str, Path], open_page) -> None:
    page = open_page(pages["hostile"])
    page.page.keyboard.press("End")
    assert page.shown(["x", "y"]) == ("2 4", "4 1")
    program = page.text("#program")
    assert INJECTION in program and '<b id="bold">not bold</b>' in program and "@@SVG@@" in program
    for selector in ("img", "#bold", "b#bold", "#program *:not(.comment)"):
        assert page.page.locator(selector).count() == 0, selector
    assert page.page.locator("script").count() == 2
    assert page.page.locator("#figure svg").count() == 1
    page.page.wait_for_timeout(100)  # an alert would be recorded by now (Page.close checks)
