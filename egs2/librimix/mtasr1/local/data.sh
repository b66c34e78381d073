#!/usr/bin/env bash
# Stage 1 of the LibriMix recipe: read a real LibriMix tree (JorisCos/LibriMix output) plus
# the LibriSpeech transcripts and write Kaldi dirs data/{train,dev,test} with SOT text,
# text_spk1..N, utt2num_spk and per-talker start/end (utt2talkers).
# Corpus roots come from db.sh (LIBRIMIX, LIBRISPEECH).
set -euo pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*"
}
help_message="Usage: $0 [options]
  --sources '2:mix_both'        LibriMix parts per set: <n_src>:<mix_clean|mix_both|mix_single>,
                                comma-separated, e.g. 2:mix_both,3:mix_both (2- and 3-mix together)
                                or 2:mix_single,2:mix_clean,3:mix_clean (1-, 2- and 3-talker)
  --train_subset train-100      train-100 or train-360
  --sample_rate 16k             8k or 16k
  --mode max                    max or min"

sources=2:mix_both
train_subset=train-100
sample_rate=16k
mode=max

. utils/parse_options.sh
. ./path.sh
. ./db.sh

if [ ! -d "${LIBRIMIX}" ]; then
    log "Error: LIBRIMIX=${LIBRIMIX} is not a directory: set it in db.sh (the folder holding Libri2Mix/, Libri3Mix/)"
    exit 1
fi
if [ ! -d "${LIBRISPEECH}" ]; then
    log "Error: LIBRISPEECH=${LIBRISPEECH} is not a directory: set it in db.sh (the folder holding LibriSpeech/)"
    exit 1
fi

for pair in "${train_subset} train" "dev dev" "test test"; do
    # shellcheck disable=SC2086
    set -- ${pair}
    log "LibriMix ${1} (${sources}) -> data/${2}"
    # shellcheck disable=SC2086
    python -m espnet_mtasr.bin.prep_librimix --librimix_root "${LIBRIMIX}" \
        --librispeech_root "${LIBRISPEECH}" --subset "$1" --sample_rate "${sample_rate}" \
        --mode "${mode}" --sources ${sources//,/ } --out_dir "data/$2"
done
log "data.sh: done"
