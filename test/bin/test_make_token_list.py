import pytest

from espnet_mtasr.bin.make_token_list import main, make_token_list
from espnet_mtasr.utils.errors import MTASRInputError

TEXT = (
    "u1 THE RED DOG <sc> A CAT SAT\n"
    "u2 MY FRIEND WILL OPEN THE DOOR\n"
    "u3 THE GREEN BIRD <sc> HELLO THERE <sc> THE DOG\n"
)


@pytest.mark.parametrize("token_type", ["char", "bpe"])
def test_sc_is_one_token_and_espnet_tokenizer_agrees(tmp_path, token_type):
    from espnet2.text.build_tokenizer import build_tokenizer

    text = tmp_path / "text"
    text.write_text(TEXT)
    tokens = make_token_list(text, tmp_path / "tl", token_type, ["<sc>"], nbpe=40)
    vocab = tokens.read_text().split()
    assert vocab[:2] == ["<blank>", "<unk>"] and vocab[-1] == "<sos/eos>"
    assert "<sc>" in vocab
    tok = build_tokenizer(
        token_type,
        bpemodel=str(tmp_path / "tl" / "bpe.model") if token_type == "bpe" else None,
        non_linguistic_symbols=str(tmp_path / "tl" / "nlsyms.txt"),
    )
    pieces = tok.text2tokens("THE RED DOG <sc> A CAT SAT")
    assert pieces.count("<sc>") == 1
    assert set(pieces) <= set(vocab)


def test_empty_transcript_names_line(tmp_path):
    text = tmp_path / "text"
    text.write_text("u1 A B\nu2\n")
    with pytest.raises(MTASRInputError, match=r"text:2: empty transcript"):
        make_token_list(text, tmp_path / "tl", "char", ["<sc>"])
    assert not (tmp_path / "tl" / "tokens.txt").exists()


def test_main_exits_with_message_on_missing_text(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--text", str(tmp_path / "nope"), "--token_type", "char", "--out_dir", "x"])
    assert e.value.code == 1
    assert "nope: text file not found" in capsys.readouterr().err
