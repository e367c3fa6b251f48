#!/usr/bin/python3
"""Build the training corpus from permissively licensed sources available offline.

Sources:
  * npm packages under the given node_modules folders (licence read from each
    package.json; only MIT / ISC / Apache-2.0 / BSD-* / 0BSD are kept),
  * Python sources of a fixed list of Debian-packaged Python libraries whose
    upstream licences are permissive (licence recorded from the list below;
    version from dpkg).

Filters: exact dedup by content hash (and by whitespace-normalised hash), drops
minified/generated files (very long lines, source maps, *.min.*), tiny files and
files over MAX_BYTES.  Split into train/validation by file with a fixed seed.

Output (under --out):
  files.jsonl        one {"path","pkg","version","license","lang","split","text"} per file
  provenance.json    package -> version, licence, files, bytes
"""
import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys

ALLOWED = {"MIT", "ISC", "APACHE-2.0", "BSD-2-CLAUSE", "BSD-3-CLAUSE", "0BSD", "BSD"}
JS_EXT = {".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "typescript",
          ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript"}
MAX_BYTES = 400_000
MIN_BYTES = 200
MAX_LINE = 400
MAX_MEAN_LINE = 100

# Debian-packaged Python libraries with permissive upstream licences.
PY_PACKAGES = {
    # dist-packages dir: (debian package, licence)
    "numpy": ("python3-numpy", "BSD-3-Clause"),
    "sympy": ("python3-sympy", "BSD-3-Clause"),
    "mpmath": ("python3-mpmath", "BSD-3-Clause"),
    "torch": ("python3-torch", "BSD-3-Clause"),
    "torchgen": ("python3-torch", "BSD-3-Clause"),
    "onnx": ("python3-onnx", "Apache-2.0"),
    "requests": ("python3-requests", "Apache-2.0"),
    "urllib3": ("python3-urllib3", "MIT"),
    "attr": ("python3-attr", "MIT"),
    "click": ("python3-click", "BSD-3-Clause"),
    "pygments": ("python3-pygments", "BSD-2-Clause"),
    "setuptools": ("python3-setuptools", "MIT"),
    "pip": ("python3-pip", "MIT"),
    "yaml": ("python3-yaml", "MIT"),
    "idna": ("python3-idna", "BSD-3-Clause"),
    "charset_normalizer": ("python3-charset-normalizer", "MIT"),
    "pyparsing": ("python3-pyparsing", "MIT"),
    "sortedcontainers": ("python3-sortedcontainers", "Apache-2.0"),
    "toml": ("python3-toml", "MIT"),
    "oauthlib": ("python3-oauthlib", "BSD-3-Clause"),
    "jwt": ("python3-jwt", "MIT"),
    "psutil": ("python3-psutil", "BSD-3-Clause"),
    "wheel": ("python3-wheel", "MIT"),
    "distro": ("python3-distro", "Apache-2.0"),
    "blinker": ("python3-blinker", "MIT"),
    "colorama": ("python3-colorama", "BSD-3-Clause"),
    "argcomplete": ("python3-argcomplete", "Apache-2.0"),
    "httplib2": ("python3-httplib2", "MIT"),
    "dateutil": ("python3-dateutil", "Apache-2.0"),
    "cryptography": ("python3-cryptography", "Apache-2.0"),
}


def norm_license(lic):
    if isinstance(lic, dict):
        lic = lic.get("type")
    if isinstance(lic, list):
        lic = " OR ".join(str(x.get("type") if isinstance(x, dict) else x) for x in lic)
    if not isinstance(lic, str):
        return None
    return lic.strip()


def license_ok(lic):
    if not lic:
        return False
    s = lic.upper().replace("(", " ").replace(")", " ")
    if " AND " in s:
        return all(p.strip() in ALLOWED for p in s.split(" AND "))
    return any(p.strip() in ALLOWED for p in s.split(" OR "))


def looks_generated(text):
    if "sourceMappingURL=data:" in text:
        return True
    lines = text.split("\n")
    if not lines:
        return True
    longest = max(len(l) for l in lines)
    if longest > MAX_LINE:
        return True
    if len(text) / len(lines) > MAX_MEAN_LINE:
        return True
    return False


def find_packages(root):
    """Yield (pkg_dir, name, version, licence) for every package folder below root."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        if "package.json" in filenames:
            try:
                with open(os.path.join(dirpath, "package.json"), encoding="utf-8") as f:
                    pj = json.load(f)
            except Exception:
                continue
            if isinstance(pj, dict) and pj.get("name") and pj.get("version"):
                yield dirpath, pj["name"], pj["version"], norm_license(pj.get("license") or pj.get("licenses"))


def collect_npm(roots):
    pkgs = []
    for root in roots:
        for d, n, v, l in find_packages(root):
            pkgs.append((d, n, v, l))
    # Assign each file to its nearest enclosing package folder.
    pkgs.sort(key=lambda p: -len(p[0]))
    pkg_dirs = {p[0]: p for p in pkgs}
    for d, name, version, lic in sorted(pkgs):
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames.sort()
            if dirpath != d and dirpath in pkg_dirs:
                dirnames[:] = []
                continue
            # skip nested packages: handled by their own entry
            dirnames[:] = [x for x in dirnames if os.path.join(dirpath, x) not in pkg_dirs]
            for fn in sorted(filenames):
                ext = os.path.splitext(fn)[1]
                if fn.endswith(".d.ts") or fn.endswith(".d.mts") or fn.endswith(".d.cts"):
                    lang = "typescript"
                elif ext in JS_EXT:
                    lang = JS_EXT[ext]
                else:
                    continue
                if ".min." in fn:
                    continue
                yield os.path.join(dirpath, fn), name, version, lic, lang, d


def deb_version(pkg):
    try:
        return subprocess.check_output(["dpkg-query", "-W", "-f=${Version}", pkg], text=True).strip()
    except Exception:
        return "unknown"


def collect_python(site, stdlib):
    for top, (deb, lic) in sorted(PY_PACKAGES.items()):
        base = os.path.join(site, top)
        if not os.path.isdir(base):
            continue
        ver = deb_version(deb)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for fn in sorted(filenames):
                if fn.endswith(".py") or fn.endswith(".pyi"):
                    yield os.path.join(dirpath, fn), deb + ":" + top, ver, lic, "python"
    if stdlib and os.path.isdir(stdlib):
        ver = deb_version("libpython3.11-stdlib")
        for dirpath, dirnames, filenames in os.walk(stdlib):
            dirnames.sort()
            dirnames[:] = [x for x in dirnames if x not in ("test", "tests", "idlelib", "lib2to3", "site-packages", "dist-packages")]
            for fn in sorted(filenames):
                if fn.endswith(".py"):
                    yield os.path.join(dirpath, fn), "libpython3.11-stdlib", ver, "PSF-2.0", "python"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npm", nargs="+", required=True, help="node_modules folders")
    ap.add_argument("--site", default="/usr/lib/python3/dist-packages")
    ap.add_argument("--stdlib", default="/usr/lib/python3.11")
    ap.add_argument("--python-share", type=float, default=0.25, help="max share of bytes from python")
    ap.add_argument("--max-bytes", type=int, default=110_000_000)
    ap.add_argument("--valid-frac", type=float, default=0.015)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    seen = set()
    prov = {}
    rejected_lic = {}
    records = []
    stats = {"generated": 0, "dup": 0, "size": 0, "decode": 0}

    def take(path, name, version, lic, lang, base_rel):
        try:
            size = os.path.getsize(path)
        except OSError:
            return None
        if size < MIN_BYTES or size > MAX_BYTES:
            stats["size"] += 1
            return None
        try:
            with open(path, "rb") as f:
                raw = f.read()
            text = raw.decode("utf-8")
        except Exception:
            stats["decode"] += 1
            return None
        text = text.replace("\r\n", "\n").replace("\t", "    ") if lang == "python" else text.replace("\r\n", "\n")
        if "\x00" in text or looks_generated(text):
            stats["generated"] += 1
            return None
        h1 = hashlib.sha256(text.encode()).hexdigest()
        h2 = hashlib.sha256(re.sub(r"\s+", "", text).encode()).hexdigest()
        if h1 in seen or h2 in seen:
            stats["dup"] += 1
            return None
        seen.add(h1)
        seen.add(h2)
        return {"path": base_rel, "pkg": name, "version": version, "license": lic, "lang": lang, "text": text, "sha": h1}

    total = 0
    npm_files = []
    for path, name, version, lic, lang, pdir in collect_npm(args.npm):
        if not license_ok(lic):
            rejected_lic[f"{name}@{version}"] = lic
            continue
        rel = f"npm:{name}@{version}/" + os.path.relpath(path, pdir)
        r = take(path, name, version, lic, lang, rel)
        if r:
            npm_files.append(r)
    js_bytes = sum(len(r["text"]) for r in npm_files)
    py_budget = int(js_bytes * args.python_share / (1 - args.python_share))
    py_files = []
    for path, name, version, lic, lang in collect_python(args.site, args.stdlib):
        rel = f"deb:{name}@{version}/" + os.path.basename(os.path.dirname(path)) + "/" + os.path.basename(path)
        r = take(path, name, version, lic, lang, rel)
        if r:
            py_files.append(r)
    rng = random.Random(args.seed)
    rng.shuffle(py_files)
    acc = 0
    kept_py = []
    for r in py_files:
        if acc + len(r["text"]) > py_budget:
            continue
        kept_py.append(r)
        acc += len(r["text"])
    records = npm_files + kept_py
    records.sort(key=lambda r: r["sha"])
    rng = random.Random(args.seed)
    rng.shuffle(records)
    out = []
    total = 0
    for r in records:
        if total + len(r["text"]) > args.max_bytes:
            continue
        total += len(r["text"])
        out.append(r)
    rng2 = random.Random(args.seed + 1)
    with open(os.path.join(args.out, "files.jsonl"), "w", encoding="utf-8") as f:
        for r in out:
            r["split"] = "valid" if rng2.random() < args.valid_frac else "train"
            key = r["pkg"]
            p = prov.setdefault(key, {"version": r["version"], "license": r["license"], "files": 0, "bytes": 0,
                                      "source": "npm" if r["path"].startswith("npm:") else "debian"})
            p["files"] += 1
            p["bytes"] += len(r["text"].encode())
            del r["sha"]
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    by_lang = {}
    by_split = {}
    for r in out:
        by_lang[r["lang"]] = by_lang.get(r["lang"], 0) + len(r["text"].encode())
        by_split[r["split"]] = by_split.get(r["split"], 0) + len(r["text"].encode())
    summary = {"files": len(out), "bytes": sum(by_lang.values()), "bytes_by_lang": by_lang, "bytes_by_split": by_split,
               "dropped": stats, "packages": len(prov), "rejected_licences": rejected_lic, "seed": args.seed,
               "valid_frac": args.valid_frac}
    with open(os.path.join(args.out, "provenance.json"), "w") as f:
        json.dump({"summary": summary, "packages": dict(sorted(prov.items()))}, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "rejected_licences"}, indent=1))
    print("rejected (licence):", len(rejected_lic), file=sys.stderr)


if __name__ == "__main__":
    main()
