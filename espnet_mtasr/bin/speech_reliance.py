"""Does an LLM decoder read the speech? Teacher-forced accuracy with the real audio vs silence.

Example (mini LibriMix, from the recipe directory)::

    python -m espnet_mtasr.bin.speech_reliance --exp exp/asr_sop_llm_large/a_sot \\
        --data dump/raw/dev_filtered

For every utterance of ``--data`` (``wav.scp`` + SOT ``text``) the model's teacher-forced
token accuracy (target tokens + EOS, as in training's ``acc``) is computed twice: with the
mixture, and with the waveform replaced by zeros of the same length (an ``sop_llm`` model
then also gets the draft of silence). If the two are close, the decoder's accuracy comes
from its text prior, not from the speech. Prints both and writes them to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence

from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error
from espnet_mtasr.utils.fileio import write_json
from espnet_mtasr.utils.kaldi_io import read_kaldi_lines


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--exp", required=True, help="folder with config.yaml and the model")
    p.add_argument("--model", default="valid.acc.ave.pth", help="model file in --exp")
    p.add_argument("--data", required=True, help="data dir with wav.scp and text")
    p.add_argument("--batch_size", type=int, default=8)
    p.add_argument("--out", default=None, help="JSON with the two accuracies")
    return p


def teacher_forced_accuracy(
    exp: str, model: str, data: str, batch_size: int = 8
) -> Dict[str, Dict[str, float]]:
    """``{"speech": {...}, "silence": {...}}`` with ``accuracy``, ``correct``, ``tokens``."""
    import soundfile
    import torch

    from espnet_mtasr.bin.mtasr_inference import MTSpeech2Text
    from espnet_mtasr.utils.espnet_compat import pad_list

    s2t = MTSpeech2Text(Path(exp) / "config.yaml", Path(exp) / model, beam_size=1)
    from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder

    if not isinstance(getattr(s2t.asr_model, "decoder", None), HFLLMDecoder):
        raise MTASRInputError(
            "speech_reliance needs a model with an LLM decoder (decoder hf_llm)", path=exp
        )
    net, tok = s2t.asr_model, s2t.asr_model.decoder.tokenizer
    fix = "give a data dir of mtasr.sh stage 3/4 (dump/raw/<set>)"
    scp = {ln.key: ln.value for ln in read_kaldi_lines(Path(data) / "wav.scp", missing_fix=fix)}
    text = {ln.key: ln.value for ln in read_kaldi_lines(Path(data) / "text", missing_fix=fix)}
    missing = sorted(set(scp) - set(text))
    if missing:
        raise MTASRInputError(
            f"{len(missing)} utterances have no text (e.g. {missing[0]})", path=data
        )
    keys = sorted(scp)
    counts = {"speech": [0, 0], "silence": [0, 0]}
    for i in range(0, len(keys), batch_size):
        chunk = keys[i : i + batch_size]
        wavs = [torch.as_tensor(soundfile.read(scp[k], dtype="float32")[0]) for k in chunk]
        lens = torch.tensor([len(w) for w in wavs])
        speech = pad_list(wavs, 0.0)
        ids = [
            torch.tensor(tok.convert_tokens_to_ids(tok.tokenize(text[k])), dtype=torch.long)
            for k in chunk
        ]
        ylens = torch.tensor([len(x) for x in ids])
        ys = pad_list(ids, -1)
        for name, audio in (("speech", speech), ("silence", torch.zeros_like(speech))):
            with torch.no_grad():
                enc, enc_lens, sop, _ = net.encode_for_decoding(audio, lens)
                logits, target = net.teacher_forced(enc, enc_lens, ys, ylens, sop)
            valid = target >= 0
            counts[name][0] += int((logits.argmax(-1)[valid] == target[valid]).sum())
            counts[name][1] += int(valid.sum())
    return {
        name: {"accuracy": c / n if n else float("nan"), "correct": c, "tokens": n}
        for name, (c, n) in counts.items()
    }


@exit_on_input_error
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if args.batch_size < 1:
        raise MTASRInputError(f"--batch_size must be >= 1, not {args.batch_size}")
    result = teacher_forced_accuracy(args.exp, args.model, args.data, args.batch_size)
    for name, r in result.items():
        print(
            f"{args.exp} ({args.data}) {name}: teacher-forced token accuracy "
            f"{r['accuracy']:.3f} ({r['correct']}/{r['tokens']})"
        )
    if args.out:
        write_json(args.out, result)


if __name__ == "__main__":
    main(sys.argv[1:])
