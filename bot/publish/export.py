"""`warroom status export DIR`: the public site as static files, the same bytes the status server sends."""

from __future__ import annotations

from pathlib import Path

from bot.publish.site import NOT_FOUND, Site


def file_name(path: str) -> str:
    """Where a served path is written: / -> index.html, /incidents/INC-12 -> incidents/INC-12.html, the rest as is."""
    if path == "/":
        return "index.html"
    if path == NOT_FOUND:
        return "404.html"
    name = path.lstrip("/")
    return name if "." in name.rsplit("/", 1)[-1] else f"{name}.html"


def file_names(path: str) -> list[str]:
    """Every file a served path is written to: an incident's page also as incidents/INC-12/index.html, which is
    what object storage's website hosting (and most static hosts) serve for /incidents/INC-12."""
    name = file_name(path)
    if name.endswith(".html") and path.startswith("/incidents/"):
        return [name, f"{name.removesuffix('.html')}/index.html"]
    return [name]


def export(site: Site, directory: Path) -> list[Path]:
    """Write every resource of the site under `directory`; the files written, in path order."""
    written: list[Path] = []
    for path in sorted(site.resources):
        for name in file_names(path):
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(site.resources[path].body)
            partial.replace(target)
            written.append(target)
    return written
