#!/usr/bin/env bash
# Installs everything, builds, and opens the extension (with its bundled model) in a real VS Code:
# desktop `code` when it is on PATH, otherwise code-server in the browser at a printed loopback URL.
# Environment: AUTOGLM_WORKSPACE (folder to open, default: this repository), AUTOGLM_PORT (code-server port, default 8080).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export ONNXRUNTIME_NODE_INSTALL=skip
workspace="${AUTOGLM_WORKSPACE:-$root}"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node esbuild.mjs

if command -v code >/dev/null 2>&1 && [ -z "${AUTOGLM_USE_CODE_SERVER:-}" ]; then
  echo "Opening VS Code with Open AutoGLM in development mode on $workspace"
  exec code --extensionDevelopmentPath="$root" "$workspace"
fi

bash tools/vscode/ensure.sh
port="${AUTOGLM_PORT:-8080}"
state="$root/.cache/vscode"
mkdir -p "$state/user-data/User" "$state/extensions"
[ -f "$state/user-data/User/settings.json" ] || printf '{\n  "telemetry.telemetryLevel": "off",\n  "update.mode": "none",\n  "extensions.autoCheckUpdates": false\n}\n' > "$state/user-data/User/settings.json"
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" > "$state/config.yaml"
url="$(node -e '
  const [port, root, ws] = process.argv.slice(1);
  const payload = JSON.stringify([["extensionDevelopmentPath", `vscode-remote://127.0.0.1:${port}${root}`]]);
  console.log(`http://127.0.0.1:${port}/?${new URLSearchParams({ folder: ws, payload })}`);
' "$port" "$root" "$workspace")"
echo
echo "Open AutoGLM is ready in VS Code (code-server, loopback only). Open this URL in a browser:"
echo
echo "  $url"
echo
echo "Press Ctrl+C to stop."
exec tools/vscode/code-server/node_modules/.bin/code-server --config "$state/config.yaml" \
  --user-data-dir "$state/user-data" --extensions-dir "$state/extensions" \
  --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check
