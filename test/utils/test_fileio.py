import pytest

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, atomic_write, write_kaldi_map


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
