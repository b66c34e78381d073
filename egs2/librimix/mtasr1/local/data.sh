#!/usr/bin/env bash
# Stage 1 of the LibriMix recipe: read a LibriMix tree (JorisCos/LibriMix output, or the one
# ESPnet's egs2/librimix/sot_asr1 generates with talker 2 delayed) plus the LibriSpeech
# transcripts and write Kaldi dirs data/{train,dev,test} with SOT text, text_spk1..N,
# utt2num_spk and per-talker start/end (utt2talkers).
# Corpus roots come from db.sh (LIBRIMIX, LIBRISPEECH, LIBRIMIX_OFFSET_METADATA).
set -euo pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*"
}
help_message="Usage: $0 [options]
  --sources '2:mix_both'        LibriMix parts per set: <n_src>:<mix_clean|mix_both|mix_single>,
                                comma-separated, e.g. 2:mix_both,3:mix_both (2- and 3-mix together)
                                or 2:mix_single,2:mix_clean,3:mix_clean (1-, 2- and 3-talker)
  --train_subset train-100      train-100 or train-360 -> data/train; none: no data/train,
                                only data/dev and data/test (e.g. to score a trained model)
  --sample_rate 16k             8k or 16k
  --mode max                    max or min
  --offset_metadata DIR         talker start times for a tree made by ESPnet egs2/librimix/sot_asr1:
                                its local/metadta_Libri2Mix_offset (libri2mix_<subset>.csv files).
                                Default: LIBRIMIX_OFFSET_METADATA of db.sh; empty: start times
                                from the mixture CSVs' offset columns, else 0 (LibriMix proper)"

sources=2:mix_both
train_subset=train-100
sample_rate=16k
mode=max
offset_metadata=

. utils/parse_options.sh
. ./path.sh
. ./db.sh

offset_metadata=${offset_metadata:-${LIBRIMIX_OFFSET_METADATA:-}}
if [ ! -d "${LIBRIMIX}" ]; then
    log "Error: LIBRIMIX=${LIBRIMIX} is not a directory: set it in db.sh (the folder holding Libri2Mix/, Libri3Mix/)"
    exit 1
fi
if [ ! -d "${LIBRISPEECH}" ]; then
    log "Error: LIBRISPEECH=${LIBRISPEECH} is not a directory: set it in db.sh (the folder holding LibriSpeech/)"
    exit 1
fi

pairs=("dev dev" "test test")  # "<LibriMix subset> <data dir>"
if [ "${train_subset}" != none ]; then
    pairs=("${train_subset} train" "${pairs[@]}")
fi
out_dirs=()
for pair in "${pairs[@]}"; do
    out_dirs+=("data/${pair#* }")
done
# Every output path must be writable before the first set is written.
python -m espnet_mtasr.bin.check_output_dirs "${out_dirs[@]}"

offset_opts=()
if [ -n "${offset_metadata}" ]; then
    offset_opts=(--offset_metadata "${offset_metadata}")
fi
for pair in "${pairs[@]}"; do
    # shellcheck disable=SC2086
    set -- ${pair}
    log "LibriMix ${1} (${sources}) -> data/${2}${offset_metadata:+ (offsets: ${offset_metadata})}"
    # shellcheck disable=SC2086
    python -m espnet_mtasr.bin.prep_librimix --librimix_root "${LIBRIMIX}" \
        --librispeech_root "${LIBRISPEECH}" --subset "$1" --sample_rate "${sample_rate}" \
        --mode "${mode}" --sources ${sources//,/ } --out_dir "data/$2" \
        ${offset_opts[@]+"${offset_opts[@]}"}
done
log "data.sh: done"
