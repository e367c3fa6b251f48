#!/usr/bin/env bash
# Installs, idempotently, what the real-VS-Code test layers and `npm start` need on Debian/Ubuntu:
# Debian's Chromium (browser for code-server), ripgrep (offline stand-in for the one
# @vscode/ripgrep would download), libkrb5-dev (code-server's kerberos module), unzip,
# and code-server 4.100.3 (VS Code 1.100.3) from the npm registry into tools/vscode/code-server.
# Skips every part that is already there. Waits for and retries a busy dpkg lock.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

apt_packages=(chromium ripgrep libkrb5-dev unzip)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  apt_get() {
    # DPkg::Lock::Timeout waits for another apt/dpkg to finish; the loop retries transient failures.
    local attempt
    for attempt in 1 2 3 4 5; do
      if $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q "$@"; then return 0; fi
      echo "apt-get $* failed (attempt $attempt), retrying in $((attempt * 10)) s" >&2
      sleep $((attempt * 10))
    done
    return 1
  }
  echo "Installing Debian packages: ${missing[*]}"
  apt_get update
  apt_get install -y --no-install-recommends "${missing[@]}"
fi

cs_dir="$here/code-server"
cs_bin="$cs_dir/node_modules/.bin/code-server"
want="$(node -p "require('$cs_dir/package.json').dependencies['code-server']")"
have=""
if [ -x "$cs_bin" ]; then have="$(node -p "require('$cs_dir/node_modules/code-server/package.json').version" 2>/dev/null || true)"; fi
if [ "$have" != "$want" ]; then
  # @vscode/ripgrep's postinstall looks in this cache before it tries to download rg.
  cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  tarball="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -f "$tarball" ]; then
    mkdir -p "$cache"
    stage="$(mktemp -d)"
    cp "$(command -v rg)" "$stage/rg"
    tar -czf "$tarball" -C "$stage" rg
    rm -rf "$stage"
  fi
  echo "Installing code-server $want (a real VS Code) into $cs_dir"
  # code-server's postinstall refuses to run as root without unsafe-perm, and node-pty's
  # postinstall runs `npx node-gyp`, which must not stop to ask.
  (cd "$cs_dir" && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund --loglevel=error)
fi
echo "code-server $(node -p "require('$cs_dir/node_modules/code-server/package.json').version") ready at $cs_bin"
