"""Resource addresses checkov finds in each Terraform folder (run by bench/tf_real_corpus.py
in the bench virtual environment). One process for every folder: checkov's import is
the slow part. Writes JSON: {folder: {"parsed": bool, "error": str|None, "addresses": [...]}}.
"""
import json
import logging
import sys

logging.disable(logging.CRITICAL)

from checkov.runner_filter import RunnerFilter  # noqa: E402
from checkov.terraform.runner import Runner  # noqa: E402


def addresses(folder):
    # One cheap check keeps checkov from spending minutes on its whole catalogue; the
    # graph (and so the resources it evaluated) is built the same.
    runner = Runner()
    report = runner.run(root_folder=folder, runner_filter=RunnerFilter(framework=["terraform"], checks=["CKV_AWS_8"]))
    reports = report if isinstance(report, list) else [report]
    found = set()
    errors = []
    for r in reports:
        found.update(getattr(r, "resources", set()))
        errors.extend(getattr(r, "parsing_errors", []))
    # checkov names a resource `file.tf:module.x.aws_instance.y` or by its address; keep
    # the address part.
    out = sorted({a.split(":", 1)[-1] if ".tf:" in a else a for a in found})
    return out, errors


def main():
    folders, out = sys.argv[1], sys.argv[2]
    result = {}
    for folder in open(folders).read().split():
        try:
            found, errors = addresses(folder)
            result[folder] = {"parsed": not errors, "error": "; ".join(map(str, errors)) or None, "addresses": found}
        except Exception as e:  # checkov's own failure on a folder: recorded, not fatal
            result[folder] = {"parsed": False, "error": f"{type(e).__name__}: {e}", "addresses": []}
    json.dump(result, open(out, "w"), indent=1)


main()
