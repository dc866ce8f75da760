"""``recovery apps build`` run through its real entry point, its Zendesk zip unzipped."""
import subprocess
import sys
import zipfile
from pathlib import Path

BUILT_ORIGIN = "https://connector.example.org"
RECOVERY = str(Path(sys.executable).with_name("recovery"))


def run_build(out: Path, origin: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([RECOVERY, "apps", "build", "--origin", origin, "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=120)


def build_apps(out: Path, origin: str, *extra: str) -> Path:
    done = run_build(out, origin, *extra)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out / "zendesk-app.zip") as archive:
        archive.extractall(out / "zendesk")
    return out
