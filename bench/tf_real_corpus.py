#!/usr/bin/env python3
"""`driftd check --tf` on every folder of a corpus of real public Terraform code, against
checkov on the same folders; writes the "Terraform code: real public modules" section of
docs/performance.md.

The corpus is not in the repository (only the few folders tests use, in testdata/tf/real/).
It is extracted from git repositories fetched beforehand, as named in
bench/tf_real_corpus.repos (owner/name, commit, license):

    python3 bench/tf_real_corpus.py --repos DIR [--checkov-sample N] [--no-doc]

DIR holds one git directory per repository as `owner+name/repo` (bare or not). The
folders are extracted to target/tf-real-corpus/ with their symlinks. checkov runs in
target/bench-venv (installed with pip when absent) through bench/checkov_addresses.py.

Per folder: driftd's exit code and, for exit 2, its reason; what `driftd code FOLDER`
declares; checkov's resource addresses. Addresses are compared as configuration
addresses (instance keys removed). checkov lists every resource block, also those whose
count is 0: such a block counts as included when driftd evaluated it to no instance
(`empty_blocks`), and so does a block whose count or for_each is known only after apply
(`unevaluated`: driftd names the block, its instances are unknown until plan). A block
under a module whose source is not on disk is not included. A folder where
checkov names a block driftd did not declare is named with both counts.
"""

import argparse
import collections
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "target" / "tf-real-corpus"
VENV = ROOT / "target" / "bench-venv"


def repos():
    for line in (ROOT / "bench" / "tf_real_corpus.repos").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, commit, license_ = line.split()
            yield name, commit, license_


def extract(repos_dir):
    """Every blob and symlink of each repository's commit, into target/tf-real-corpus."""
    for name, commit, _ in repos():
        git = Path(repos_dir) / name.replace("/", "+") / "repo"
        dest = CORPUS / name.replace("/", "+")
        if dest.exists():
            continue
        tree = subprocess.run(["git", "-C", str(git), "ls-tree", "-r", "-l", commit], capture_output=True, text=True, check=True)
        for line in tree.stdout.splitlines():
            meta, path = line.split("\t", 1)
            mode, kind, sha, size = meta.split()
            if kind != "blob" or not size.isdigit() or int(size) > 2_000_000:
                continue
            blob = subprocess.run(["git", "-C", str(git), "cat-file", "blob", sha], capture_output=True)
            if blob.returncode:
                continue  # a large file the fetch left out
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == "120000":
                os.symlink(blob.stdout.decode(), target)
            else:
                target.write_bytes(blob.stdout)


def folders():
    found = set()
    for tf in CORPUS.rglob("*.tf"):
        if ".terraform" not in tf.parts:
            found.add(tf.parent)
    return sorted(found)


def declared_here(folder):
    """The `TYPE.NAME` of each resource block and the name of each module call in the
    folder's own .tf files."""
    text = "\n".join(p.read_text(errors="replace") for p in sorted(Path(folder).glob("*.tf")) if p.is_file())
    resources = {f"{t}.{n}" for t, n in re.findall(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"', text, re.M)}
    calls = set(re.findall(r'^\s*module\s+"([^"]+)"', text, re.M))
    return resources, calls


def config_address(a):
    return re.sub(r"\[[^\]]*\]", "", a)


def run_driftd(binary, folder):
    """`driftd check --tf` as a pull request runs it (exit code, reason of an exit 2), then
    `driftd code` for what was declared: instances, blocks with none, what was not expanded."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        start = time.monotonic()
        p = subprocess.run(
            [str(binary), "check", "--tf", str(folder), "--format", "json", "--output", out.name],
            capture_output=True, text=True, timeout=120,
        )
        seconds = time.monotonic() - start
    reason = ""
    if p.returncode not in (0, 1):
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        reason = lines[0] if lines else f"exit {p.returncode}"
        return p.returncode, reason, {}, seconds
    c = subprocess.run([str(binary), "code", str(folder)], capture_output=True, text=True, timeout=120)
    code = json.loads(c.stdout) if c.returncode == 0 else {}
    return p.returncode, reason, code, seconds


def cause(reason):
    """The kind of an exit-2 reason, for the table."""
    for pattern, name in [
        ("HCL syntax error", "syntax error"),
        ("no function named", "unknown function"),
        ("arguments given", "wrong number of arguments"),
        ("is not a number|is required, got|a bool is required", "type mismatch"),
        ("attribute .* is required", "missing object attribute"),
    ]:
        if re.search(pattern, reason):
            return name
    return "other"


def checkov(sample, reuse=None):
    """checkov's addresses for each folder of `sample` (or as an earlier run saved them)."""
    if reuse:
        saved = json.load(open(reuse))
        return saved["folders"], saved["checkov"]
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([str(python), "-c", "import checkov"], capture_output=True).returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "checkov"], check=True)
    version = subprocess.run([str(python), "-m", "pip", "show", "checkov"], capture_output=True, text=True).stdout
    version = re.search(r"Version: (\S+)", version).group(1)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(str(s) for s in sample))
    out = tempfile.mktemp(suffix=".json")
    subprocess.run([str(python), str(ROOT / "bench" / "checkov_addresses.py"), f.name, out], check=True)
    folders = json.load(open(out))
    # Saved: checkov takes about 30 s a folder, so a rerun of the comparison can reuse it.
    saved = ROOT / "target" / "tf-real-corpus-checkov.json"
    saved.write_text(json.dumps({"checkov": version, "folders": folders}))
    return folders, version


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", required=True, help="folder of fetched repositories (owner+name/repo)")
    ap.add_argument("--checkov-sample", type=int, default=0, help="compare with checkov on every Nth folder (0: all)")
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--checkov-json", help="reuse checkov's results saved by an earlier run (target/tf-real-corpus-checkov.json)")
    args = ap.parse_args()
    extract(args.repos)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "driftd"], cwd=ROOT, check=True)
    binary = ROOT / "target" / "release" / "driftd"
    all_folders = folders()
    rows = {}
    for folder in all_folders:
        rows[folder] = run_driftd(binary, folder)
    exits = collections.Counter(rc for rc, _, _, _ in rows.values())
    causes = collections.Counter(cause(reason) for rc, reason, _, _ in rows.values() if rc == 2)
    step = args.checkov_sample or 1
    sample = all_folders[::step]
    ck, ck_version = checkov(sample, args.checkov_json)
    compared, included, differ = 0, 0, []
    how = collections.Counter()
    rejected_by_checkov = []
    for folder in sample:
        c = ck.get(str(folder))
        if not c or not c["parsed"]:
            rejected_by_checkov.append(folder)
            continue
        rc, _, code, _ = rows[folder]
        ours_cfg = {config_address(r["address"]) for r in code.get("resources", [])}
        empty = set(code.get("empty_blocks", []))
        # A block whose count or for_each is known only after apply: driftd evaluated the
        # block, and its instances are unknown (as in Terraform before plan).
        unknown_count = {u for u in code.get("unevaluated", []) if not u.endswith(".")}
        # checkov reads a folder's subfolders too (a repository's examples and tests); keep
        # what this folder's own code declares: its resource blocks and its module calls.
        own_resources, own_calls = declared_here(folder)
        theirs = {
            config_address(a)
            for a in c["addresses"]
            if config_address(a) in own_resources or a.split(".")[0] == "module" and a.split(".")[1].split("[")[0] in own_calls
        }
        compared += 1

        def covered(a):
            return (
                a in ours_cfg
                or a in empty
                or a in unknown_count
                or any(e.endswith(".") and a.startswith(e) for e in empty)
            )

        missing = {a for a in theirs if not covered(a)}
        for a in theirs:
            how["as instances"] += a in ours_cfg
            how["as blocks with no instance"] += a not in ours_cfg and (a in empty or any(e.endswith(".") and a.startswith(e) for e in empty))
            how["as blocks whose count is known after apply"] += a in unknown_count and a not in ours_cfg
            how["not declared"] += a in missing
        if not missing:
            included += 1
        else:
            differ.append((folder, len(ours_cfg), len(theirs), sorted(missing)[:3]))
    total_resources = sum(len(code.get("resources", [])) for _, _, code, _ in rows.values())
    exit2_checkov_parses = [f for f in all_folders if rows[f][0] == 2 and f not in rejected_by_checkov]
    seconds = sum(s for _, _, _, s in rows.values())
    repos_list = list(repos())
    lines = [
        "## Terraform code: real public modules (`bench/tf_real_corpus.py`)",
        "",
        "Command: `python3 bench/tf_real_corpus.py --repos DIR"
        + (f" --checkov-sample {args.checkov_sample}" if args.checkov_sample else "")
        + f"` (release build, 2 cores, {datetime.date.today()}). {len(all_folders)} folders with `.tf` files from "
        f"{len(repos_list)} public repositories (bench/tf_real_corpus.repos: module examples, "
        "whole modules and their submodules from terraform-aws-modules and Azure's modules, "
        "GPU reference architectures from aws-samples and awslabs), each checked with "
        "`driftd check --tf FOLDER`, inputs unknown, no `terraform init`.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| folders exiting 0 or 1 | {exits[0] + exits[1]} |",
        f"| folders exiting 2 | {exits[2]} |",
        f"| other exits | {sum(v for k, v in exits.items() if k not in (0, 1, 2))} |",
        f"| resource instances evaluated (all folders) | {total_resources} |",
        f"| driftd time, all folders (one process each) | {seconds:.1f} s |",
        f"| folders compared with checkov {ck_version} | {compared} of {len(sample)} sampled"
        + (f" (one folder in {step}, in name order; checkov takes about 30 s a folder here)" if step > 1 else "")
        + ", those checkov read |",
        f"| of those, driftd's addresses include checkov's (configuration addresses) | {included} ({100 * included / max(compared, 1):.1f}%; target 95%) |",
        f"| exit 2 on a folder checkov parses | {len([f for f in exit2_checkov_parses if f in sample])} in the compared sample; target 0 |",
        "",
        f"checkov's {sum(how.values()) - how['not declared']} resource blocks in the compared folders' own code"
        " (blocks of the folder and of the modules it calls), as driftd declares them: "
        + ", ".join(f"{v} {k}" for k, v in how.items()) + ".",
        "",
    ]
    if rejected_by_checkov:
        lines += ["Folders of the sample checkov could not read (left out of the comparison):", ""]
        for f in rejected_by_checkov:
            err = (ck.get(str(f)) or {}).get("error") or "no result"
            lines.append(f"- `{f.relative_to(CORPUS)}`: {err.replace(str(CORPUS) + '/', '')[:200]}")
        lines.append("")
    if causes:
        lines += ["Exit 2, by cause:", "", "| cause | folders |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in causes.most_common()]
        lines += ["", "Each such folder and Terraform's reason:", ""]
        for f in all_folders:
            if rows[f][0] == 2:
                lines.append(f"- `{f.relative_to(CORPUS)}`: {rows[f][1][:300]}")
        lines.append("")
    if differ:
        lines += ["Folders where checkov names a block driftd did not declare (driftd's count, checkov's count, first missing):", ""]
        for f, ours, theirs, missing in differ:
            lines.append(f"- `{f.relative_to(CORPUS)}`: driftd {ours}, checkov {theirs}; {', '.join(missing)}")
        lines.append("")
    section = "\n".join(lines)
    print(section)
    if not args.no_doc:
        doc = ROOT / "docs" / "performance.md"
        text = doc.read_text()
        start = text.find("## Terraform code: real public modules")
        if start >= 0:
            end = text.find("\n## ", start + 1)
            text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
        doc.write_text(text)


if __name__ == "__main__":
    main()
