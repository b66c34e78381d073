import pytest

from espnet_mtasr.bin.split_scp import main, split_lines, split_scp
from espnet_mtasr.utils.errors import MTASRInputError


@pytest.mark.parametrize("n_lines,n_splits", [(1, 1), (5, 2), (7, 3), (6, 6)])
def test_split_lines_is_contiguous_and_balanced(n_lines, n_splits):
    lines = [f"u{i}\n" for i in range(n_lines)]
    parts = split_lines(lines, n_splits)
    assert sum(parts, []) == lines
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_split_scp_writes_one_based_files(tmp_path):
    scp = tmp_path / "wav.scp"
    scp.write_text("a x\nb y\nc z\n")
    paths = split_scp(scp, tmp_path / "keys", 2)
    assert [p.name for p in paths] == ["split.1", "split.2"]
    assert (tmp_path / "keys" / "split.1").read_text() == "a x\nb y\n"


def test_more_jobs_than_lines_names_file_and_fix(tmp_path, capsys):
    scp = tmp_path / "wav.scp"
    scp.write_text("a x\n")
    with pytest.raises(MTASRInputError, match="wav.scp: cannot split 1 lines into 2"):
        split_scp(scp, tmp_path / "keys", 2)
    with pytest.raises(SystemExit):
        main([str(scp), str(tmp_path / "k"), "3"])
    assert "fewer jobs" in capsys.readouterr().err
