"""Pure text serialization for multi-talker ASR: SOT ``<sc>`` streams and speaker tags."""

from espnet_mtasr.text.sot import (
    SC,
    TalkerSegment,
    normalize_whitespace,
    sot_join,
    sot_normalize,
    sot_parse,
    sot_serialize,
    sot_streams_count,
)
from espnet_mtasr.text.speaker_tags import (
    UNKNOWN_SPEAKER,
    has_spk_tag,
    spk_tag,
    spk_tag_parse,
    spk_tag_relative_ids,
    spk_tag_serialize,
    spk_tag_streams,
    spk_tag_symbols,
)

__all__ = [
    "SC",
    "UNKNOWN_SPEAKER",
    "TalkerSegment",
    "has_spk_tag",
    "normalize_whitespace",
    "sot_join",
    "sot_normalize",
    "sot_parse",
    "sot_serialize",
    "sot_streams_count",
    "spk_tag",
    "spk_tag_parse",
    "spk_tag_relative_ids",
    "spk_tag_serialize",
    "spk_tag_streams",
    "spk_tag_symbols",
]
