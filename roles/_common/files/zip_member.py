#!/usr/bin/env python3
"""Extract one member of a zip archive (a wheel is one) and verify its sha256.

Usage: zip_member.py ARCHIVE MEMBER DEST EXPECTED_SHA256

Writes DEST atomically (DEST.part, then rename) only when the sha256 of the member matches.
Always prints one JSON object: {"changed", "sha256", "expected", "member", "error"}.
Exit codes: 0 ok, 2 member missing or archive unreadable, 3 sha256 mismatch.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile

CHUNK = 1024 * 1024


def main(argv: list[str]) -> int:
    archive, member, dest, expected = argv[1:5]
    expected = expected.lower().removeprefix("sha256:")
    result = {"changed": False, "sha256": "", "expected": expected, "member": member, "error": ""}
    part = dest + ".part"
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src, open(part, "wb") as out:
            digest = hashlib.sha256()
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except (KeyError, OSError, zipfile.BadZipFile) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        if os.path.exists(part):
            os.unlink(part)
        print(json.dumps(result))
        return 2
    result["sha256"] = digest.hexdigest()
    if result["sha256"] != expected:
        os.unlink(part)
        result["error"] = "sha256 mismatch"
        print(json.dumps(result))
        return 3
    os.replace(part, dest)
    result["changed"] = True
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
