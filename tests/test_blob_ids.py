"""The blob id a plan compares a render with (paths-info's `oid`) is git's, and the local Hub's."""

from __future__ import annotations

from pipeline.hub._reads import git_blob_oid
from pipeline.localhub.objects import blob_oid


def test_a_files_blob_id_is_gits() -> None:
    assert git_blob_oid(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object
    text = "Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright ©\n"
    assert git_blob_oid(text.encode()) == blob_oid(text.encode())
