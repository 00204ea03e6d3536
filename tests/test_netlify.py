"""netlify.toml against a real build: security headers, caching rules, no inline code the CSP would block."""
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the sample site, built whole


REPO = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((REPO / "netlify.toml").read_text())
IMMUTABLE = "public, max-age=31536000, immutable"


def netlify_match(rule: str, path: str) -> bool:
    """Whether a rule's path matches, as Netlify reads it: `:name` stands for one segment, `*` for anything."""
    pattern = "".join("[^/]+" if part.startswith(":") else ".*" if part == "*" else re.escape(part)
                      for part in re.split(r"(:[a-z]+|\*)", rule))
    return re.fullmatch(pattern, path) is not None


def headers_for(path: str) -> dict[str, str]:
    """The headers Netlify sends for a path: every matching rule, as the file lists them. Only a second
    Content-Security-Policy may join the first: a browser then enforces both."""
    found: dict[str, str] = {}
    for rule in CONFIG["headers"]:
        if netlify_match(rule["for"], path):
            for name, value in rule["values"].items():
                if name == "Content-Security-Policy" and name in found:
                    found[name] += ", " + value
                    continue
                assert name not in found, f"{path}: {name} set by two rules (Netlify would combine them)"
                found[name] = value
    return found


def test_every_context_publishes_a_strict_build():
    assert CONFIG["build"]["publish"] == "_site"
    for command in [CONFIG["build"]["command"], CONFIG["context"]["deploy-preview"]["command"], CONFIG["context"]["branch-deploy"]["command"]]:
        assert "pip install -r requirements.txt" in command
        assert command.endswith("&& python build.py build --strict")
        assert "--drafts" not in command
    assert CONFIG["build"]["environment"]["PYTHON_VERSION"].startswith("3.")


def test_every_path_gets_the_security_headers():
    headers = headers_for("/events/lyon-picket/")
    csp = {name: value for name, _, value in (part.strip().partition(" ") for part in headers["Content-Security-Policy"].split(";"))}
    assert csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert csp["script-src"].split() == ["'self'", "'wasm-unsafe-eval'"]  # Pagefind's search runs WebAssembly
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] and headers["Permissions-Policy"]


def _linked_assets(out: Path) -> set[str]:
    linked = set()
    for page in out.rglob("*.html"):
        html = page.read_text()
        linked |= set(re.findall(r'<(?:link|script)[^>]+(?:href|src)="(/[^"]+)"', html))
        linked |= set(re.findall(r'<img[^>]+src="(/[^"]+)"', html))
        linked |= {candidate.split()[0] for srcset in re.findall(r'srcset="([^"]+)"', html) for candidate in srcset.split(",")}
        linked |= set(re.findall(r'<meta property="og:image" content="https?://[^/]+(/[^"]+)"', html))
    return linked


def test_every_fingerprinted_asset_is_cached_forever_and_html_is_not(sample):
    _, out, _ = sample
    linked = _linked_assets(out)
    hashed = {path for path in linked if re.search(r"\.[0-9a-f]{10}(\.\d+)?\.[a-z]+$", path)}
    assert {p for p in hashed if p.startswith("/css/")} and {p for p in hashed if p.startswith("/images/")}
    for path in hashed:
        assert (out / path.lstrip("/")).is_file(), path
        assert headers_for(path).get("Cache-Control") == IMMUTABLE, path
    for page in ["/", "/events/lyon-picket/", "/feed.xml", "/pagefind/pagefind-ui.js", "/favicon.svg",
                 "/pagefind/shards/pagefind.js", "/pagefind/shards/3/pagefind-entry.json", "/be/", "/be/events/lyon-picket/",
                 "/be/pagefind/pagefind-entry.json", "/be/pagefind/shards/pagefind.js", "/be/feed.xml",
                 "/pagefind/shards/words/1/pagefind-entry.json", "/pagefind/shards/words/1/holders.json"]:  # not named by their content
        assert headers_for(page).get("Cache-Control") != IMMUTABLE, page
    for chunk in ["/pagefind/shards/3/fragment/en_1a2b3c4.pf_fragment", "/pagefind/shards/12/index/en_5d6e7f8.pf_index",
                  "/be/pagefind/fragment/be_1a2b3c4.pf_fragment", "/be/pagefind/shards/5/filter/be_5d6e7f8.pf_filter",
                  "/pagefind/shards/words/1/index/en_5d6e7f8.pf_index", "/be/pagefind/shards/words/0/fragment/be_1a2b3c4.pf_fragment"]:
        assert headers_for(chunk).get("Cache-Control") == IMMUTABLE, chunk


def test_no_page_has_inline_code_the_policy_would_block(sample):
    _, out, _ = sample
    for page in out.rglob("*.html"):
        html = page.read_text()
        for script in re.findall(r"<script\b[^>]*>", html):
            assert 'src="/' in script or 'type="application/ld+json"' in script, f"{page}: {script}"
        assert "<style" not in html, page
        assert not re.search(r"\sstyle=", html), page
        assert not re.search(r"\son[a-z]+=", html), page
        assert 'href="javascript:' not in html, page


def test_redirects_file_is_published_for_renamed_events(sample):
    _, out, _ = sample
    assert (out / "_redirects").is_file()
    assert (out / "404.html").is_file()


def test_the_build_cache_is_restored_before_and_saved_after_each_build(tmp_path):
    plugin = REPO / "netlify" / "plugins" / "keep-build-cache"
    assert [entry["package"] for entry in CONFIG["plugins"]] == ["/netlify/plugins/keep-build-cache"]
    assert (plugin / "manifest.yml").read_text().strip() == "name: keep-build-cache"
    script = f"""
        const plugin = require({json.dumps(str(plugin / "index.js"))});
        const calls = [];
        const utils = {{ cache: {{ restore: async (path) => {{ calls.push(["restore", path]); return true; }},
                                  save: async (path) => {{ calls.push(["save", path]); return true; }} }} }};
        (async () => {{
          await plugin.onPreBuild({{ utils }});
          await plugin.onPostBuild({{ utils }});
          console.log(JSON.stringify(calls));
        }})();
    """
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [["restore", ".cache"], ["save", ".cache"]]
