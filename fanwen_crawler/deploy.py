"""Deploy the project to scrapyd: build the project egg and upload it (addversion.json).

`build_egg` copies the installed packages (fanwen_crawler, pipelines) into a temporary
build tree with a minimal setup.py whose `scrapy` entry point names our settings module,
and runs setuptools' bdist_egg there, so nothing is written into the source tree.
`upload_egg` posts it to scrapyd's addversion.json. Once deployed, scrapyd runs the
spider with the same arguments as `scrapy crawl`:

    curl http://127.0.0.1:6800/schedule.json -d project=fanwen_crawler -d spider=portal \\
         -d start_url=http://www.example-fanwen.cn/ -d setting=FANWEN_DB_PATH=/data/corpus.db
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path
from typing import Any

PROJECT = "fanwen_crawler"
SETUP_PY = """\
from setuptools import find_packages, setup

setup(
    name={project!r},
    version={version!r},
    packages=find_packages(),
    package_data={{"": ["*.toml", "*.txt", "*.json"]}},
    include_package_data=True,
    entry_points={{"scrapy": ["settings = fanwen_crawler.settings"]}},
    zip_safe=False,
)
"""
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "fixtures")


class DeployError(RuntimeError):
    """The egg could not be built or scrapyd refused it."""


def build_egg(out_dir: Path, version: str, project: str = PROJECT) -> Path:
    """Build the project egg into `out_dir` (relative to the current directory); return its path."""
    # bdist_egg runs inside the build tree: a relative --dist-dir would land there and vanish.
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fanwen-egg-") as tmp:
        tree = Path(tmp)
        for package in ("fanwen_crawler", "pipelines"):  # located, not imported
            spec = importlib.util.find_spec(package)
            if spec is None or not spec.submodule_search_locations:
                raise DeployError(f"cannot find the {package} package to put in the egg")
            source = Path(next(iter(spec.submodule_search_locations)))
            shutil.copytree(source, tree / source.name, ignore=IGNORE)
        (tree / "setup.py").write_text(SETUP_PY.format(project=project, version=version))
        proc = subprocess.run(
            [sys.executable, "setup.py", "-q", "bdist_egg", "--dist-dir", str(out_dir)],
            cwd=tree, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise DeployError(f"bdist_egg failed: {proc.stderr[-2000:]}")
    eggs = sorted(out_dir.glob(f"{project}-{version}-*.egg"))
    if not eggs:
        raise DeployError(f"bdist_egg wrote no egg into {out_dir}")
    return eggs[-1]


def upload_egg(url: str, egg: Path, version: str, project: str = PROJECT,
               timeout: float = 60) -> dict[str, Any]:
    """POST the egg to scrapyd's addversion.json; return scrapyd's JSON answer."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (("project", project), ("version", version)):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; '
                 f'filename="{egg.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 .encode() + egg.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(
        url.rstrip("/") + "/addversion.json", data=b"".join(parts), method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer: dict[str, Any] = json.loads(response.read())
    if answer.get("status") != "ok":
        raise DeployError(f"scrapyd refused the egg: {answer}")
    return answer
