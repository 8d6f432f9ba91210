"""Accounts, credentials and passwords; image registration and what it refuses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.errors import Conflict, InvalidArgument, NotFound
from core.services.container import Services
from core.views import AccountQuery, Caller, ImageQuery
from tests.unit.helpers import row_counts


def test_one_key_pair_and_password_identify_the_user(services: Services) -> None:
    new = services.identity.create_account("carol")
    signing = services.identity.signing_key(new.access_key)
    assert signing.secret_key == new.secret_key
    assert (signing.caller.account_id, signing.caller.is_admin) == (new.account.id, False)
    assert services.identity.authenticate_password("carol", new.password) == signing.caller
    with pytest.raises(NotFound):
        services.identity.authenticate_password("carol", new.password + "x")
    with pytest.raises(NotFound):
        services.identity.authenticate_password("nobody", new.password)
    with pytest.raises(NotFound):
        services.identity.signing_key("CG" + "0" * 18)


def test_accounts_see_themselves_and_admins_see_all(
    services: Services, admin: Caller, alice: Caller
) -> None:
    listed = services.identity.list_accounts
    assert [a.name for a in listed(alice, AccountQuery()).items] == ["alice"]
    assert [a.name for a in listed(admin, AccountQuery()).items] == ["admin", "alice"]
    with pytest.raises(Conflict):
        services.identity.create_account("alice")


def _qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


def test_qcow2_and_raw_images_register_with_their_sizes(
    services: Services, admin: Caller, alice: Caller, tmp_path: Path
) -> None:
    _qemu_img("create", "-q", "-f", "qcow2", str(tmp_path / "a.qcow2"), "1G")
    (tmp_path / "b.raw").write_bytes(b"\0" * 4096)
    qcow2 = services.images.register(alice, tmp_path / "a.qcow2", name="a")
    raw = services.images.register(alice, tmp_path / "b.raw", name="b", public=True)
    assert (qcow2.disk_format.value, qcow2.virtual_size) == ("qcow2", 1 << 30)
    assert (raw.disk_format.value, raw.virtual_size, raw.is_public) == ("raw", 4096, False)
    (tmp_path / "a.qcow2").unlink()  # the store keeps its own copy
    assert services.images.get_image(alice, "a").id == qcow2.id
    services.identity.create_account("dave")
    dave = services.identity.caller_for("dave")
    with pytest.raises(NotFound):
        services.images.get_image(dave, "a")  # private to alice
    with pytest.raises(NotFound):
        services.images.get_image(dave, "b")  # only admins may publish


@pytest.mark.parametrize(
    ("make", "why"),
    [
        pytest.param("backing", "backing file", id="qcow2-with-backing-file"),
        pytest.param("missing", "not a readable file", id="missing"),
        pytest.param("directory", "not a readable file", id="directory"),
        pytest.param("vmdk", "qcow2 or raw expected", id="other-format"),
    ],
)
def test_refused_images_leave_nothing(
    services: Services, admin: Caller, tmp_path: Path, make: str, why: str
) -> None:
    path = tmp_path / "image"
    if make == "backing":
        _qemu_img("create", "-q", "-f", "qcow2", str(tmp_path / "base.qcow2"), "64M")
        _qemu_img(
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            str(tmp_path / "base.qcow2"),
            "-F",
            "qcow2",
            str(path),
        )
    elif make == "directory":
        path.mkdir()
    elif make == "vmdk":
        _qemu_img("create", "-q", "-f", "vmdk", str(path), "64M")
    before = row_counts(services)
    with pytest.raises(InvalidArgument) as refused:
        services.images.register(admin, path, name="refused")
    assert why in str(refused.value)
    assert row_counts(services) == before
    assert services.images.list_images(admin, ImageQuery()).items == []
    store = services.settings.images_dir
    assert not store.exists() or list(store.iterdir()) == []
