"""The Python environment the suite runs and is tested in: a virtualenv with Odoo 18.0 and the suite's
requirements, made on first use and reused while nothing it was made from has changed.

Where Odoo comes from, in this order:

1. ``ODOO_SRC``: a local checkout of Odoo 18.0 (a folder with ``odoo/`` and ``requirements.txt``).
   The virtualenv gets Odoo's requirements as today's Python and pip can install them (binary
   psycopg2, no LDAP unless ``SYNC_WITH_LDAP=1``, wheels for the pins whose sources no longer build),
   and the checkout on its path.
2. An Odoo 18 this Python already imports (the official Docker image, a distribution package): the
   virtualenv sees it (``--system-site-packages``) and adds only what the suite needs.
3. The official 18.0 branch, cloned once into ``~/.cache/sync-suite/odoo-18.0`` (git and network
   needed), then as in 1.

Used by ``tests/run`` and ``bin/start``; ``SYNC_VENV`` names the virtualenv (default ``.venv``).

``image_python()`` makes a second virtualenv with only what the Docker image has: Odoo's own
requirements and the packages the Dockerfile adds (docker/suite-apt-packages.txt), none of the suite's
requirements.txt; tests/run installs the suite there, so a dependency the image lacks fails CI.
"""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("SYNC_VENV") or ROOT / ".venv")
ODOO_BRANCH_URL = "https://github.com/odoo/odoo.git"
ACTIVE_FLAG = "SYNC_RUNTIME_ACTIVE"

# Odoo 18's own pins that a fresh virtualenv on today's Python cannot build, and what replaces them.
REPLACED_PINS = {
    # Needs libpq's headers and a compiler; the binary wheel is the same code.
    "psycopg2": lambda version: f"psycopg2-binary=={version}",
    # 5.4.2's setup.py fails with current setuptools; 5.6.2 (Odoo's own pin for Python 3.12) has wheels.
    "cbor2": lambda version: "cbor2==5.6.2",
}
# Optional, and needs OpenLDAP's headers: only for the auth_ldap module.
SKIPPED_PINS = {"python-ldap"}

NO_ODOO = """\
No Odoo 18 runtime could be found or made for {python}: {reason}

The Odoo tests cannot run without one, so this run fails rather than pretend. Either:
  - run inside the compose stack:           docker compose run --rm test
  - point ODOO_SRC at an Odoo 18.0 checkout: ODOO_SRC=~/src/odoo tests/run
    (git clone --depth 1 -b 18.0 https://github.com/odoo/odoo ~/src/odoo)
  - or install Odoo 18.0 for this Python (python3 -c "import odoo" must work).
"""


def say(message):
    print(f"[runtime] {message}", flush=True)


def fail(reason):
    sys.exit(NO_ODOO.format(python=sys.executable, reason=reason))


def venv_python():
    return VENV / "bin" / "python"


def enter():
    """Re-run the calling script inside the suite's virtualenv (made or refreshed first); returns
    at once when already inside it."""
    if os.environ.get(ACTIVE_FLAG):
        return
    python = ensure()
    script = os.path.abspath(sys.argv[0])
    os.execve(python, [str(python), script, *sys.argv[1:]], dict(os.environ, **{ACTIVE_FLAG: "1"}))


def ensure():
    """The path of the virtualenv's Python, with Odoo 18 and the suite's requirements installed."""
    source = odoo_source()
    system = source is None and imports_odoo_18(sys.executable)
    if source is None and not system:
        source = clone_official_branch()
    stamp = fingerprint(source, system)
    stamp_file = VENV / ".sync-suite-stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp and venv_python().exists():
        return venv_python()
    say(f"making the virtualenv {VENV} ({'Odoo from ' + str(source) if source else 'the Odoo of ' + sys.executable})")
    command = [sys.executable, "-m", "venv", "--clear", str(VENV)]
    subprocess.run([*command, "--system-site-packages"] if system else command, check=True)
    pip(["--upgrade", "pip", "setuptools", "wheel"])
    if source:
        install_odoo(source)
    pip(["-r", str(ROOT / "requirements.txt"), "--editable", str(ROOT / "sandbox")])
    if not imports_odoo_18(venv_python()):
        fail(f"the virtualenv {VENV} was made but cannot import Odoo 18")
    stamp_file.write_text(stamp)
    return venv_python()


def odoo_source():
    path = os.environ.get("ODOO_SRC")
    if not path:
        return None
    source = Path(path).expanduser().resolve()
    if not (source / "odoo" / "release.py").is_file() or not (source / "requirements.txt").is_file():
        fail(f"ODOO_SRC={path} is not an Odoo checkout (no odoo/release.py or requirements.txt there)")
    release = (source / "odoo" / "release.py").read_text(encoding="utf-8")
    if not re.search(r"^version_info = \(18, 0,", release, re.MULTILINE):
        fail(f"ODOO_SRC={path} is not Odoo 18.0")
    return source


def imports_odoo_18(python):
    check = "import odoo.release as r, sys; sys.exit(r.version_info[0] != 18)"
    return subprocess.run([str(python), "-c", check], capture_output=True, check=False).returncode == 0


def clone_official_branch():
    target = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sync-suite" / "odoo-18.0"
    if (target / "odoo" / "release.py").is_file():
        return target
    say(f"no ODOO_SRC and no Odoo in this Python: cloning Odoo's 18.0 branch into {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    clone = ["git", "clone", "--quiet", "--depth", "1", "--branch", "18.0", ODOO_BRANCH_URL, str(target)]
    try:
        subprocess.run(clone, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        fail(f"cloning {ODOO_BRANCH_URL} failed ({error})")
    return target


def fingerprint(source, system):
    """What the virtualenv is made from: a change in any of it makes it again."""
    digest = hashlib.sha256()
    digest.update(f"{sys.executable} {sys.version} {source} {system} {os.environ.get('SYNC_WITH_LDAP')}".encode())
    files = [ROOT / "requirements.txt", ROOT / "sandbox" / "requirements.txt", ROOT / "sandbox" / "pyproject.toml"]
    if source:
        files.append(source / "requirements.txt")
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def odoo_requirements(source):
    """Odoo's requirements.txt, as a fresh virtualenv on this Python can install it."""
    lines = []
    for line in (source / "requirements.txt").read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9_.-]+)\s*==\s*([^\s;]+)\s*(;.*)?$", spec)
        if not match:
            if spec:
                lines.append(spec)
            continue
        name, version, marker = match.group(1), match.group(2), match.group(3) or ""
        if name.lower() in SKIPPED_PINS and not os.environ.get("SYNC_WITH_LDAP"):
            continue
        replace = REPLACED_PINS.get(name.lower())
        lines.append((replace(version) if replace else f"{name}=={version}") + (f" {marker}" if marker else ""))
    return lines


def install_odoo(source, venv=None, extra=()):
    """Odoo's requirements (and ``extra`` ones) into ``venv``, and the checkout on its path: nothing
    is copied, an update of the checkout is seen at once."""
    venv = venv or VENV
    requirements = venv / "odoo-requirements.txt"
    requirements.write_text("\n".join([*odoo_requirements(source), *extra]) + "\n", encoding="utf-8")
    pip(["-r", str(requirements)], venv)
    site_packages = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    Path(site_packages, "odoo-src.pth").write_text(f"{source}\n", encoding="utf-8")


def pip(arguments, venv=None):
    python = (venv or VENV) / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *arguments],
        check=True,
    )


# Ubuntu's package names (docker/suite-apt-packages.txt) whose PyPI name is not the name without "python3-".
APT_TO_PYPI = {"python3-pil": "Pillow"}


def image_packages():
    """The PyPI names of the Python packages the Dockerfile adds to the official image."""
    names = (ROOT / "docker" / "suite-apt-packages.txt").read_text(encoding="utf-8").split()
    return [APT_TO_PYPI.get(name, name.removeprefix("python3-")) for name in names if name.startswith("python3-")]


def image_python(odoo_root):
    """A virtualenv with what the suite's Docker image ships: Odoo (``odoo_root``, a checkout with its
    requirements.txt) and its requirements, plus docker/suite-apt-packages.txt; kept in the user cache
    and made again when any of that changes."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sync-suite"
    venv = cache / "image-venv"
    digest = hashlib.sha256(f"{sys.version} {odoo_root}".encode())
    digest.update((odoo_root / "requirements.txt").read_bytes())
    digest.update((ROOT / "docker" / "suite-apt-packages.txt").read_bytes())
    stamp, stamp_file = digest.hexdigest(), venv / ".sync-suite-stamp"
    python = venv / "bin" / "python"
    if not (stamp_file.exists() and stamp_file.read_text() == stamp and python.exists()):
        say(f"making {venv}: Odoo's requirements and the image's packages only")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip(["--upgrade", "pip", "setuptools", "wheel"], venv)
        install_odoo(odoo_root, venv, extra=image_packages())
        stamp_file.write_text(stamp)
    return python
