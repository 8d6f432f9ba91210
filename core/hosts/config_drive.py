"""The NoCloud config drive: an ISO 9660 image labelled ``cidata`` with meta-data and user-data.

cloud-init images read it unmodified, and so does our tiny image. The ISO is written by
genisoimage (Debian's ISO 9660 writer) with Joliet and Rock Ridge, so names keep their case.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from core.errors import HostError
from core.hosts.driver import ConfigDrive

VOLUME_LABEL: Final = "cidata"
_SAFE_COMMENT: Final = re.compile(r"[A-Za-z0-9@._+-]{1,128}")


def _key_line(key: str) -> str:
    """``type blob [comment]``, dropping a comment that YAML could misread."""
    fields = key.split(None, 2)
    if len(fields) == 3 and _SAFE_COMMENT.fullmatch(fields[2]):
        return " ".join(fields)
    return " ".join(fields[:2])


def meta_data(drive: ConfigDrive) -> str:
    """YAML as NoCloud expects it. Core only passes a UUID and an RFC 1123 hostname, so the
    scalars need no quoting; key comments that could need it are dropped."""
    lines = [f"instance-id: {drive.instance_id}", f"local-hostname: {drive.hostname}"]
    if drive.public_keys:
        lines.append("public-keys:")
        lines.extend(f"  - {_key_line(key)}" for key in drive.public_keys)
    return "\n".join(lines) + "\n"


def build_iso(drive: ConfigDrive) -> bytes:
    with tempfile.TemporaryDirectory(prefix="cloudgate-cidata-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        (root / "meta-data").write_text(meta_data(drive))
        (root / "user-data").write_bytes(drive.user_data)
        output = Path(tmp) / "cidata.iso"
        try:
            subprocess.run(
                [
                    "genisoimage",
                    "-quiet",
                    "-output",
                    str(output),
                    "-volid",
                    VOLUME_LABEL,
                    "-joliet",
                    "-rock",
                    str(root / "user-data"),
                    str(root / "meta-data"),
                ],
                check=True,
                capture_output=True,
            )
        except FileNotFoundError:
            raise HostError("genisoimage is not installed (run scripts/setup-host.sh)") from None
        except subprocess.CalledProcessError as exc:
            raise HostError(f"genisoimage failed: {exc.stderr.decode(errors='replace')}") from exc
        return output.read_bytes()
