# The bench workload (bench/workload.ts) as pyinfra operations, one per SimpleCM operation, with
# pyinfra's own file operations. The operations come as JSON (written by bench/pyinfra-runner.ts
# for the run's tag) in the file named by SIMPLECM_BENCH_OPERATIONS. Where pyinfra differs:
# - file_exists → files.file(touch=False): creates an empty file when it is absent, like
#   SimpleCM's; pyinfra reads the file's facts first (one remote command), then changes.
# - file_content → files.put of the content (an in-memory file): pyinfra compares the remote
#   file's SHA-1 with the local one and uploads over SFTP only when they differ, then sets the
#   mode; SimpleCM compares and writes inside its shell script.
# - file_contains / line_absent → files.line with the whole line, escaped and anchored (^…$),
#   so only that exact line matches (pyinfra's default would match any line containing it);
#   present=False deletes it with sed, as SimpleCM's line_absent does.
import io
import json
import os
import re

from pyinfra.operations import files

with open(os.environ["SIMPLECM_BENCH_OPERATIONS"]) as f:
    OPERATIONS = json.load(f)


def mode_of(attributes):
    mode = attributes.get("mode")
    return None if mode is None else mode.lstrip("0") or "0"


def exact_line(text):
    return "^" + re.escape(text) + "$"


for op in OPERATIONS:
    a = op["attributes"]
    module = op["module"]
    if module == "directory":
        files.directory(name=op["name"], path=a["path"], mode=mode_of(a))
    elif module == "file_exists":
        files.file(name=op["name"], path=a["path"], mode=mode_of(a), touch=False)
    elif module == "file_content":
        files.put(name=op["name"], src=io.StringIO(a["content"]), dest=a["path"], mode=mode_of(a))
    elif module == "file_contains":
        files.line(name=op["name"], path=a["path"], line=exact_line(a["text"]), replace=a["text"])
    elif module == "line_absent":
        files.line(name=op["name"], path=a["path"], line=exact_line(a["line"]), present=False)
    else:
        raise ValueError("no pyinfra operation for module " + module)
