"""The tests' Python environment (target/tmp/pyvenv, made and filled on first use, as
daemon/tests/common/moto.rs makes it), for the bench scripts that drive moto: `enter`
re-runs the calling script under it with `packages` installed."""
import os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "tmp", "pyvenv")


def enter(packages):
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages], check=True)
    os.execv(py, [py] + sys.argv)
