import os
import shutil
import stat
import subprocess
import sys

import pytest

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, atomic_write, check_output_dirs, write_kaldi_map


def test_atomic_write_keeps_old_content_on_error(tmp_path):
    p = tmp_path / "f.txt"
    p.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(p) as f:
            f.write("new\n")
            raise RuntimeError("boom")
    assert p.read_text() == "old\n"
    assert [x.name for x in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_dir_replaces_only_on_success(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "a").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_dir(d) as t:
            (t / "b").write_text("2")
            raise RuntimeError("boom")
    assert sorted(x.name for x in d.iterdir()) == ["a"]
    with atomic_dir(d) as t:
        (t / "b").write_text("2")
    assert sorted(x.name for x in d.iterdir()) == ["b"]
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out"]


def test_write_kaldi_map_sorts_and_keeps_empty(tmp_path):
    p = tmp_path / "text"
    write_kaldi_map(p, {"b": "x y", "a": ""})
    assert p.read_text() == "a\nb x y\n"


def test_input_error_message_names_file_line_and_fix():
    e = MTASRInputError("empty transcript", path="data/text", line=3, fix="remove the line")
    assert str(e) == "data/text:3: empty transcript (fix: remove the line)"


# --- the output-directory rule: refuse before writing, leave the old content as it was


def _tree(root):
    """{relative path: bytes or link target} of everything under ``root`` (links not followed)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_file():
            out[rel] = p.read_bytes()
        else:
            out[rel] = "dir"
    return out


def _fill(t):
    (t / "text").write_text("u1 hello\n")


def test_existing_file_at_dir_path_is_refused_and_kept(tmp_path):
    f = tmp_path / "f"
    f.write_text("mine\n")
    before = _tree(tmp_path)
    with pytest.raises(MTASRInputError, match=r"f: exists and is not a directory.*fix:"):
        with atomic_dir(f) as t:
            _fill(t)
    assert _tree(tmp_path) == before


def test_symlink_at_dir_path_is_refused_link_and_target_kept(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    (target / "text").write_text("old\n")
    (tmp_path / "link").symlink_to(target)
    before = _tree(tmp_path)
    with pytest.raises(MTASRInputError, match=r"symbolic link.*give the link's target"):
        with atomic_dir(tmp_path / "link") as t:
            _fill(t)
    assert _tree(tmp_path) == before


def test_directory_at_file_path_is_refused(tmp_path):
    (tmp_path / "tokens.txt").mkdir()
    with pytest.raises(MTASRInputError, match="exists and is a directory"):
        with atomic_write(tmp_path / "tokens.txt") as f:
            f.write("x\n")
    assert _tree(tmp_path) == {"tokens.txt": "dir"}


def test_file_in_parent_path_is_refused(tmp_path):
    (tmp_path / "a").write_text("x")
    with pytest.raises(MTASRInputError, match="is not a directory"):
        with atomic_dir(tmp_path / "a" / "b" / "c") as t:
            _fill(t)
    assert _tree(tmp_path) == {"a": b"x"}


def test_symlinked_file_is_written_through(tmp_path):
    (tmp_path / "real.txt").write_text("old\n")
    (tmp_path / "link.txt").symlink_to("real.txt")
    with atomic_write(tmp_path / "link.txt") as f:
        f.write("new\n")
    assert (tmp_path / "link.txt").is_symlink()
    assert (tmp_path / "real.txt").read_text() == "new\n"


def test_check_output_dirs_names_every_bad_path_and_writes_nothing(tmp_path):
    (tmp_path / "dev").write_text("x")
    (tmp_path / "test").symlink_to(tmp_path)
    with pytest.raises(MTASRInputError) as e:
        check_output_dirs([tmp_path / "train", tmp_path / "dev", tmp_path / "test"])
    assert "2 output paths" in str(e.value) and "dev" in str(e.value) and "test" in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev", "test"]


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_dir(tmp_path / "d") as t:
            with atomic_write(t / "text") as f:
                f.write("u1 a\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "d" / "text").stat().st_mode) == 0o644


def test_replacing_keeps_no_hidden_copies(tmp_path):
    for content in ("1", "2"):
        with atomic_dir(tmp_path / "d") as t:
            (t / "x").write_text(content)
    assert _tree(tmp_path) == {"d": "dir", "d/x": b"2"}


def _read_only(path):
    """Make directory ``path`` unwritable, also for root (chattr +i); None if impossible."""
    if os.geteuid() != 0:
        path.chmod(0o555)
        return lambda: path.chmod(0o755)
    if shutil.which("chattr") is None:
        return None
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        return None
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)


def test_read_only_parent_is_refused_before_writing(tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    (parent / "keep").write_text("k")
    undo = _read_only(parent)
    if undo is None:
        pytest.skip("cannot make a directory read-only here (root without chattr)")
    try:
        with pytest.raises(MTASRInputError, match=r"ro is not writable.*fix: make it writable"):
            with atomic_dir(parent / "data") as t:
                _fill(t)
    finally:
        undo()
    assert _tree(parent) == {"keep": b"k"}


FULL_DISK = r"""
import os, resource, sys
from pathlib import Path
from espnet_mtasr.utils.errors import exit_on_input_error
from espnet_mtasr.utils.fileio import atomic_dir, write_kaldi_map

resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # a write beyond 4 KiB fails (EFBIG)

@exit_on_input_error
def main():
    with atomic_dir(Path(sys.argv[1])) as t:
        write_kaldi_map(t / "text", {f"u{i}": "word " * 20 for i in range(200)})

main()
"""


def test_full_disk_leaves_the_old_dir_and_no_partial_output(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "text").write_text("u0 old\n")
    before = _tree(tmp_path)
    r = subprocess.run([sys.executable, "-c", FULL_DISK, str(out)], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert f"ERROR: {out}: writing the output failed: File too large" in r.stderr
    assert "free space" in r.stderr
    assert _tree(tmp_path) == before


def test_full_tmpfs_is_reported_as_no_space(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root / CAP_SYS_ADMIN)")
    try:
        (mnt / "data").mkdir()
        (mnt / "data" / "text").write_text("u0 old\n")
        before = _tree(mnt)
        with pytest.raises(MTASRInputError, match="No space left on device"):
            with atomic_dir(mnt / "data") as t:
                write_kaldi_map(t / "text", {f"u{i}": "word " * 50 for i in range(2000)})
        assert _tree(mnt) == before
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
