"""A real browser, Debian's headless Chromium, opens the dashboard file and the dbt docs site:
no script errors (and the check does catch a throwing script or a blocked external load), a
screenshot that is a dashboard and not a blank page, a one-page PDF, and the docs site showing
the dashboard exposure with the marts it reads.

Skipped when chromium is not installed, except in CI (the CI variable set), where .ci/run
installs it and a missing browser fails instead.
"""

from __future__ import annotations

import functools
import json
import os
import re
import struct
import subprocess
import sys
import threading
import urllib.request
import zlib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import REPO, Warehouse
from dashboard.export import find_chromium, load_page
from health_fixtures import WARN_MONITOR, error_freshness, panel_of, write_manifest, write_run_results

pytestmark = pytest.mark.dbt

EXPOSURE_ID = "exposure.ecommerce_analytics.ecommerce_performance_dashboard"
EXPOSURE_MARTS = [
    "customer_cohorts",
    "customers_by_ltv_tier",
    "funnel_daily",
    "kpi_summary",
    "revenue_by_brand",
    "revenue_by_category",
    "revenue_by_weekday",
    "revenue_month_over_month",
]
BACKGROUND = (243, 244, 246)  # the page's grey, #f3f4f6
CHART_BLUE = (37, 99, 235)  # bars, #2563eb
CHART_ORANGE = (245, 158, 11)  # the second month's bars, #f59e0b


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium(os.environ.get("ECOM_CHROMIUM") or None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/run should install Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it and runs these tests")


@pytest.fixture(scope="module")
def exported(chromium: str, generated_build: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m dashboard render` with its PNG and PDF export, as `make dashboard` runs it."""
    out = tmp_path_factory.mktemp("exported")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "render",
            "--database",
            str(generated_build.database),
            "--out",
            str(out),
            "--chromium",
            chromium,
            "--target-path",
            str(generated_build.database.parent / "target"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"dashboard: {out / name}" for name in ("dashboard.html", "dashboard.png", "dashboard.pdf")
    ]
    return out


def test_the_dashboard_opens_offline_without_script_errors(chromium: str, exported: Path) -> None:
    html = exported / "dashboard.html"
    page = load_page(chromium, html.as_uri())
    assert page.uncaught_errors == []
    assert page.dashboard_errors == []
    assert page.root_attribute("data-rendered") == "ok"
    # The script ran over the whole page: it counted every figure the file holds.
    assert page.root_attribute("data-marks") == str(html.read_text().count(" data-mart="))


def _inject(html: str, where: str, snippet: str) -> str:
    return html.replace(where, snippet + where, 1)


def test_the_error_check_catches_a_throwing_script_and_an_external_load(
    chromium: str, exported: Path, tmp_path: Path
) -> None:
    html = (exported / "dashboard.html").read_text()
    throwing = tmp_path / "throwing.html"
    throwing.write_text(_inject(html, "</body>", "<script>throw new Error('chart library failed');</script>"))
    page = load_page(chromium, throwing.as_uri())
    assert any("chart library failed" in error for error in page.uncaught_errors)
    assert page.root_attribute("data-rendered") == "error"
    assert any("chart library failed" in error for error in page.dashboard_errors)

    external = tmp_path / "external.html"
    external.write_text(_inject(html, "</head>", '<script src="https://cdn.example.com/chart.js"></script>'))
    page = load_page(chromium, external.as_uri())
    assert page.root_attribute("data-rendered") == "error"
    assert "cdn.example.com" in (page.root_attribute("data-page-errors") or "")


def read_png(path: Path) -> np.ndarray:
    """An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) as an array of RGB pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, compressed = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed.append(body)
    assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = np.frombuffer(zlib.decompress(b"".join(compressed)), dtype=np.uint8).reshape(height, stride + 1)
    pixels = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:  # Sub: a running sum along the row, per channel
            row = (np.cumsum(line.reshape(width, channels), axis=0, dtype=np.int64) % 256).astype(np.uint8).ravel()
        elif kind == 2:  # Up
            row = line + previous
        else:
            row = _unfilter_sequential(kind, line.tolist(), previous.tolist(), channels)
        pixels[y] = row
        previous = pixels[y]
    return pixels.reshape(height, width, channels)[:, :, :3]


def _unfilter_sequential(kind: int, line: list[int], above: list[int], channels: int) -> np.ndarray:
    """Average (3) and Paeth (4) filters depend on the byte just decoded, so they go byte by byte."""
    row = [0] * len(line)
    for i, value in enumerate(line):
        left = row[i - channels] if i >= channels else 0
        up = above[i]
        if kind == 3:
            row[i] = (value + (left + up) // 2) & 0xFF
            continue
        corner = above[i - channels] if i >= channels else 0
        estimate = left + up - corner
        distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
        predictor = left if distances[0] <= min(distances[1:]) else up if distances[1] <= distances[2] else corner
        row[i] = (value + predictor) & 0xFF
    return np.array(row, dtype=np.uint8)


def write_png(path: Path, pixels: np.ndarray) -> None:
    """A plain RGB PNG, filter 0 on every row: to show that the blank check does fail."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].astype(np.uint8).tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def not_a_dashboard(pixels: np.ndarray) -> list[str]:
    """Why an image is not a rendered dashboard (empty when it is one)."""
    flat = pixels.reshape(-1, 3).astype(np.int64)
    codes = flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2]
    values, counts = np.unique(codes, return_counts=True)
    problems = []
    if len(values) < 200:
        problems.append(f"only {len(values)} distinct colours")
    if counts.max() / len(codes) > 0.9:
        problems.append(f"{counts.max() / len(codes):.0%} of the pixels are one colour")
    for name, (r, g, b) in (("chart blue", CHART_BLUE), ("second-month orange", CHART_ORANGE)):
        if counts[values == (r << 16 | g << 8 | b)].sum() < 2000:
            problems.append(f"almost no {name} pixels")
    return problems


def test_the_screenshot_is_a_dashboard_not_a_blank_page(exported: Path, tmp_path: Path) -> None:
    pixels = read_png(exported / "dashboard.png")
    height, width = pixels.shape[:2]
    assert width == 1280 and height > 1200, pixels.shape
    assert not_a_dashboard(pixels) == []
    assert tuple(pixels[2, 2]) == BACKGROUND  # the page's own background, so the decoder reads it right

    blank = tmp_path / "blank.png"
    write_png(blank, np.full((400, 640, 3), 255, dtype=np.uint8))
    assert len(not_a_dashboard(read_png(blank))) == 4


def test_the_pdf_is_one_page_the_width_of_the_dashboard(exported: Path) -> None:
    pdf = (exported / "dashboard.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
    (box,) = {tuple(float(x) for x in m.split()) for m in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", pdf)}
    assert box[2] == pytest.approx(1280 * 0.75)  # CSS pixels to points


def test_the_health_panel_shows_a_warn_monitor_and_freshness_states_in_the_browser(
    chromium: str, generated_build: Warehouse, tmp_path: Path
) -> None:
    """The real build's warehouse, dbt artifacts with a warn monitor and an error freshness."""
    target = tmp_path / "target"
    write_manifest(target)
    write_run_results(target)
    error_freshness(target)
    out = tmp_path / "out"
    database = str(generated_build.database)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "dashboard", "render", "--database", database, "--out", str(out)),
            *("--no-export", "--target-path", str(target)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    page = load_page(chromium, (out / "dashboard.html").as_uri())
    assert page.uncaught_errors == [] and page.root_attribute("data-rendered") == "ok"

    panel = panel_of(page.dom)  # the page as the browser holds it after loading
    assert panel.panel_status == "error"
    assert "Data health" in panel.panel_text
    warn = panel.row("monitor", WARN_MONITOR)
    assert warn["cells"][0] == "warn" and WARN_MONITOR in warn["cells"][1]
    assert warn["cells"][-1] == "12 failures"
    assert panel.row("freshness", "ecommerce_landing.landed_events")["cells"][0] == "error"
    assert panel.row("freshness", "ecommerce_landing.landed_files")["cells"][0] == "pass"


# --- the dbt docs site ----------------------------------------------------------------------------------


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def docs_site(generated_docs: Path) -> Iterator[str]:
    """The generated build's `dbt docs generate` site, served on a free local port (as `make docs` does)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(generated_docs)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_docs_site_opens_without_script_errors_and_shows_the_dashboard_exposure(
    chromium: str, docs_site: str
) -> None:
    page = load_page(chromium, f"{docs_site}/index.html#!/exposure/{EXPOSURE_ID}", budget_ms=8000)
    assert page.uncaught_errors == []
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page.dom, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
    # The app loaded the manifest and rendered the exposure's page, with the marts it reads.
    assert f'data-nav-unique-id="{EXPOSURE_ID}"' in page.dom
    assert "Exposure name ecommerce_performance_dashboard" in text
    listed = re.search(r"Depends On Models ((?:\w+ )+)", text)
    assert listed and listed.group(1).split()[: len(EXPOSURE_MARTS)] == EXPOSURE_MARTS


def test_the_docs_lineage_has_the_dashboard_downstream_of_its_marts(docs_site: str) -> None:
    with urllib.request.urlopen(f"{docs_site}/manifest.json", timeout=10) as response:
        manifest = json.loads(response.read())
    parents = sorted(node.rsplit(".", 1)[-1] for node in manifest["parent_map"][EXPOSURE_ID])
    assert parents == EXPOSURE_MARTS
    for mart in EXPOSURE_MARTS:
        assert EXPOSURE_ID in manifest["child_map"][f"model.ecommerce_analytics.{mart}"]
