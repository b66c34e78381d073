"""Add a scoring ``result.json`` to an ESPnet-style RESULTS.md (replacing the same set).

Example::

    python -m espnet_mtasr.bin.update_results \\
        --result_json exp/asr/decode/test/score_wer/result.json \\
        --results_md RESULTS.md --tag asr_llm_sot --cmd "./run.sh --stage 13"

``python -m espnet_mtasr.bin.score --results_md ...`` does the same in one step; given
that step's ``result.json``, this writes the same section: the config, inference config
and decoding real-time factor (``rtf_*`` keys, from ``score --rtf``) come from it unless
overridden here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from espnet_mtasr.metrics.results_md import ResultsEntry, update_results_md
from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--result_json", required=True, help="result.json written by score")
    parser.add_argument("--results_md", required=True, help="the RESULTS.md to update")
    parser.add_argument("--tag", required=True, help="section heading (## <tag>)")
    parser.add_argument(
        "--config",
        default=None,
        help="config name shown; default: the one in result.json, else --tag",
    )
    parser.add_argument(
        "--inference_config",
        default=None,
        help="decoding config name shown; default: the one in result.json",
    )
    parser.add_argument(
        "--rtf_note",
        default=None,
        help="how it was decoded, shown with the RTF; default: the one in result.json",
    )
    parser.add_argument("--cmd", default="", help="command shown for this set")
    parser.add_argument(
        "--set", dest="set_name", default=None, help="set name; default: from result.json"
    )
    return parser


@exit_on_input_error
def main(cmd: list[str] | None = None) -> None:
    """Run it (``cmd``: the arguments, default ``sys.argv[1:]``)."""
    args = get_parser().parse_args(cmd)
    path = Path(args.result_json)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict):
            raise TypeError(f"a JSON {type(summary).__name__}, not an object")
        set_name = args.set_name or summary.get("set") or path.parent.name
        entry = ResultsEntry.from_summary(
            set_name,
            summary,
            command=args.cmd,
            config=args.config or summary.get("config") or args.tag,
            inference_config=args.inference_config,
            rtf_note=args.rtf_note,
        )
    except FileNotFoundError:
        raise MTASRInputError("file not found", path=path, fix="check --result_json") from None
    except (ValueError, KeyError, TypeError) as e:
        raise MTASRInputError(
            f"not a result.json of espnet_mtasr.bin.score ({type(e).__name__}: {e})",
            path=path,
            fix="re-run espnet_mtasr.bin.score",
        ) from None
    update_results_md(args.results_md, args.tag, entry)


if __name__ == "__main__":
    main()
