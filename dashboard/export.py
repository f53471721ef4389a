"""PNG and PDF of the dashboard, like the original's `Dashboard.pdf`, through headless Chromium.

Debian's `chromium` package (or $ECOM_CHROMIUM) is run with a throw-away profile and every
background network feature off, so an export works offline and leaves nothing behind. The page
is loaded once with `--dump-dom` to read the marks its script sets on `<html>` (rendered
without errors, and its height); the screenshot and PDF are then sized to the whole page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dashboard.errors import DashboardError
from dashboard.render import PAGE_WIDTH

CHROMIUM_ENV = "ECOM_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# --no-sandbox: CI and containers run as root, where Chromium's sandbox refuses to start.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)
# Virtual time lets the page finish loading (and its load handlers run) before the capture.
BUDGET_MS = 5000
TIMEOUT_S = 90
_CONSOLE = re.compile(r':CONSOLE[:(][^\]]*\]\s*"(?P<message>.*)", source: (?P<source>.*)$')


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium to run: an explicit path or name (which must exist), else the first of CANDIDATES on PATH."""
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise DashboardError(f"no chromium at {explicit}")
        return found
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def run_chromium(chromium: str, url: str, *args: str, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run on `url` with a fresh profile directory."""
    with tempfile.TemporaryDirectory(prefix="dashboard-chromium-") as profile:
        command = [chromium, *FLAGS, f"--user-data-dir={profile}", *args, url]
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise DashboardError(f"chromium did not finish {url} within {timeout:.0f} s") from None
        except OSError as error:
            raise DashboardError(f"cannot run {chromium}: {error}") from None


@dataclass(frozen=True)
class LoadedPage:
    """A page after load: its serialized DOM and the console messages Chromium logged."""

    dom: str
    console: tuple[str, ...]

    @property
    def uncaught_errors(self) -> list[str]:
        """Console messages of exceptions no script caught (Chromium prefixes them `Uncaught`)."""
        return [message for message in self.console if message.startswith("Uncaught")]

    def root_attribute(self, name: str) -> str | None:
        """An attribute of the `<html>` element (where the dashboard's script reports)."""
        tag = re.search(r"<html\b[^>]*>", self.dom)
        found = re.search(rf'\s{re.escape(name)}="([^"]*)"', tag.group(0)) if tag else None
        return found.group(1) if found else None

    @property
    def dashboard_errors(self) -> list[str]:
        """What is wrong with a rendered dashboard page: script errors, blocked loads, no render mark."""
        problems = list(self.uncaught_errors)
        reported = self.root_attribute("data-page-errors")
        if reported:
            problems.append(reported)
        if self.root_attribute("data-rendered") != "ok":
            problems.append(f"the page's script did not finish (data-rendered={self.root_attribute('data-rendered')})")
        return problems


def load_page(
    chromium: str, url: str, *, budget_ms: int = BUDGET_MS, width: int = PAGE_WIDTH, height: int = 1000
) -> LoadedPage:
    """Load `url`, let its scripts run, and return the DOM and console messages."""
    result = run_chromium(
        chromium,
        url,
        "--dump-dom",
        "--enable-logging=stderr",
        "--v=0",
        f"--virtual-time-budget={budget_ms}",
        f"--window-size={width},{height}",
    )
    if not result.stdout.strip():
        raise DashboardError(f"chromium returned no page for {url}: {_last_line(result.stderr)}")
    console = tuple(match.group("message") for line in result.stderr.splitlines() if (match := _CONSOLE.search(line)))
    return LoadedPage(dom=result.stdout, console=console)


@dataclass(frozen=True)
class Exported:
    png: Path
    pdf: Path
    height: int


def export(html_path: Path, png_path: Path, pdf_path: Path, chromium: str) -> Exported:
    """Check the page renders without errors, then write its full-page PNG and one-page PDF."""
    page = load_page(chromium, html_path.resolve().as_uri())
    if page.dashboard_errors:
        raise DashboardError(f"{html_path} has errors in a browser: {'; '.join(page.dashboard_errors)}")
    height = int(page.root_attribute("data-height") or 2000)
    _capture(
        chromium,
        html_path.resolve().as_uri(),
        png_path,
        f"--window-size={PAGE_WIDTH},{height}",
        f"--screenshot={png_path}",
        f"--virtual-time-budget={BUDGET_MS}",
    )
    with tempfile.TemporaryDirectory(prefix="dashboard-pdf-") as tmp:
        # One PDF page the size of the screen layout, so the PDF looks like the PNG.
        sized = Path(tmp) / "dashboard.html"
        page_size = f"<style>@page{{size:{PAGE_WIDTH}px {height}px;margin:0}}</style></head>"
        sized.write_text(html_path.read_text().replace("</head>", page_size, 1))
        _capture(
            chromium,
            sized.as_uri(),
            pdf_path,
            f"--print-to-pdf={pdf_path}",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={BUDGET_MS}",
        )
    return Exported(png=png_path, pdf=pdf_path, height=height)


def _capture(chromium: str, url: str, out: Path, *args: str) -> None:
    out.unlink(missing_ok=True)
    result = run_chromium(chromium, url, *args)
    if not out.is_file() or out.stat().st_size == 0:
        raise DashboardError(f"chromium wrote no {out.name}: {_last_line(result.stderr)}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
