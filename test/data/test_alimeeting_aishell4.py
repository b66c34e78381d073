"""AliMeeting (nested and flat layouts) and AISHELL-4 through the same meeting prep code,
on fake trees that copy each layout; bad trees stop before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from meeting_fakes import AISHELL4_SESSIONS, make_aishell4_tree, make_alimeeting_tree, write_audio

from espnet_mtasr.bin import prep_meeting
from espnet_mtasr.data.aishell4 import check_aishell4_tree, load_aishell4
from espnet_mtasr.data.alimeeting import check_alimeeting_tree, load_alimeeting
from espnet_mtasr.data.datadir import validate_data_dir
from espnet_mtasr.utils.errors import MTASRInputError


@pytest.fixture(scope="module")
def ali_trees(tmp_path_factory):
    root = tmp_path_factory.mktemp("ali")
    return make_alimeeting_tree(root / "nested"), make_alimeeting_tree(root / "flat", flat=True)


@pytest.fixture(scope="module")
def aishell4_tree(tmp_path_factory):
    return make_aishell4_tree(tmp_path_factory.mktemp("a4") / "AISHELL-4")


def test_both_alimeeting_layouts_give_the_same_sessions(ali_trees):
    nested, flat = (load_alimeeting(t) for t in ali_trees)
    for part, n in (("train", 2), ("eval", 1), ("test", 1)):
        assert len(nested[part]) == n
        assert [s.segments for s in nested[part]] == [s.segments for s in flat[part]]
    session = nested["train"][0]
    assert session.session_id == "R0003_M0046" and session.duration == pytest.approx(20.0)
    texts = [s.text for s in session.segments]
    # M2MeT normalisation: tags and punctuation gone, full-width letter upper-cased
    assert texts[:3] == ["今天开会", "我们讨论B计划", "同意"]
    assert {s.speaker for s in session.segments} == {"0093", "0094", "0095"}
    # the second training session spells its tiers F_SPK0093 (no session prefix)
    assert {s.speaker for s in nested["train"][1].segments} == {"0093", "0094", "0095"}


def test_aishell4_four_parts_make_train_and_test(aishell4_tree):
    sessions = load_aishell4(aishell4_tree)
    assert [s.session_id for s in sessions["test"]] == [AISHELL4_SESSIONS["test"]]
    assert len(sessions["train"]) == 3
    assert all(len({seg.speaker for seg in s.segments}) == 3 for s in sessions["train"])
    assert sessions["test"][0].segments[0].text == "今天开会"


@pytest.mark.parametrize("corpus", ["alimeeting", "aishell4"])
def test_prep_meeting_writes_valid_sets(tmp_path, corpus, ali_trees, aishell4_tree, capsys):
    tree = ali_trees[0] if corpus == "alimeeting" else aishell4_tree
    out = tmp_path / "data"
    prep_meeting.main(
        ["--corpus", corpus, "--corpus_dir", str(tree), "--out_dir", str(out)]
        + ["--train_window", "10", "--train_min_window", "2", "--score_window", "15"]
    )
    sets = ["train", "eval", "eval_session", "test", "test_session"]
    if corpus == "aishell4":
        sets = ["train", "test", "test_session"]
    assert sorted(p.name for p in out.iterdir()) == sorted(sets)
    for name in sets:
        report = validate_data_dir(out / name, check_audio=False)
        assert report.max_talkers == 3 and report.num_pipes >= 1
    assert len((out / "test_session" / "text").read_text().splitlines()) == 1
    assert len((out / "test" / "text").read_text().splitlines()) == 2  # 15 s windows
    assert "wrote" in capsys.readouterr().out


def _copy(tree: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(tree, tmp_path / "tree"))


def test_session_without_textgrid(tmp_path, ali_trees):
    tree = _copy(ali_trees[1], tmp_path)
    (tree / "Eval_Ali_far" / "textgrid_dir" / "R8001_M8004.TextGrid").unlink()
    with pytest.raises(MTASRInputError, match="session R8001_M8004 has no TextGrid") as e:
        check_alimeeting_tree(tree)
    assert "R8001_M8004_MS002.wav" in str(e.value)


def test_audio_shorter_than_its_annotations(tmp_path, aishell4_tree):
    tree = _copy(aishell4_tree, tmp_path)
    sid = AISHELL4_SESSIONS["train_M"]
    write_audio(tree / "train_M" / "wav" / f"{sid}.flac", 12.0)
    with pytest.raises(MTASRInputError, match=r"lasts 12\.000 s") as e:
        check_aishell4_tree(tree)
    assert f"{sid}.TextGrid:" in str(e.value)


def test_missing_aishell4_part(tmp_path, aishell4_tree):
    tree = _copy(aishell4_tree, tmp_path)
    import shutil

    shutil.rmtree(tree / "train_S")
    with pytest.raises(MTASRInputError, match="part 'train_S' has no session"):
        check_aishell4_tree(tree)


def test_bad_tree_writes_nothing(tmp_path, ali_trees):
    tree = _copy(ali_trees[0], tmp_path)
    grid = tree / "Test_Ali" / "Test_Ali_far" / "textgrid_dir" / "R8003_M8001.TextGrid"
    grid.write_text(grid.read_text().replace("xmax = 18.0 ", "xmax = 1.0 ", 1))
    out = tmp_path / "data"
    with pytest.raises(SystemExit):
        prep_meeting.main(
            ["--corpus", "alimeeting", "--corpus_dir", str(tree), "--out_dir", str(out)]
        )
    assert not out.exists()


def test_missing_alimeeting_part_names_both_layouts(tmp_path, ali_trees):
    tree = _copy(ali_trees[0], tmp_path)
    import shutil

    shutil.rmtree(tree / "Eval_Ali")
    with pytest.raises(MTASRInputError, match="Eval_Ali/Eval_Ali_far or .*Eval_Ali_far"):
        check_alimeeting_tree(tree)
