#!/usr/bin/env bash
# Install everything fleet needs on a Debian machine: system packages and the Python venv.
# Idempotent: a second run installs nothing new. Used by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  python3 python3-venv python3-pip git openssh-client sqlite3 ca-certificates
  podman runc debootstrap uidmap slirp4netns fuse-overlayfs
  chromium
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Every lab container runs systemd, which takes several inotify instances; the kernel's default
# of 128 per user is met at ~20 containers, and a container booting past it hangs in sysinit.
if [ "$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 1024)" -lt 1024 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO sysctl -q -w fs.inotify.max_user_instances=1024 ||
    echo "setup: could not raise fs.inotify.max_user_instances (labs of 20+ hosts may hang)" >&2
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.fleet-installed"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test,lab,accelerate]'
  echo "$want" > "$stamp"
fi
# Byte-compile fleet's own code (installed editable): a shell with PYTHONDONTWRITEBYTECODE set
# would otherwise compile every imported module again at each fleet command (~0.05 s each).
# Only stale files are compiled, so this is quick after the first time.
.venv/bin/python -m compileall -q -j 0 fleet plugins >/dev/null
echo "setup: ready (.venv, podman $(podman --version 2>/dev/null | awk '{print $3}'))" >&2
