#!/usr/bin/env bash
# Stage 1 of the mini LibriMix recipe:
#   1. synthesise a LibriSpeech-layout source corpus with espeak-ng (disjoint speakers and
#      sentences across train/dev/test),
#   2. mix it into a LibriMix-layout tree (1-, 2- and 3-talker mixtures, random offsets,
#      optional noise),
#   3. run THE SAME LibriMix preparation as egs2/librimix/mtasr1 on it.
set -euo pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*"
}
help_message="Usage: $0 [options]
  --stage 1 --stop_stage 3   steps of this script (synthesise, mix, prepare)
  --corpus_dir corpus        where the synthetic LibriSpeech and LibriMix trees go
  --nj 4                     parallel synthesis/mixing workers
  --train_utts/--dev_utts/--test_utts N                 source utterances per split
  --train_speakers/--dev_speakers/--test_speakers N     espeak speakers per split
  --min_words 3 --max_words 7 --max_per_category 0      sentence length; vocabulary (0: all words)
  --train_mix 1:300,2:600,3:300                         mixtures per talker count
  --dev_mix 1:30,2:60,3:30 --test_mix 1:50,2:100,3:100
  --min_delay 1.0 --max_delay 1.5                       start of talker k+1 after talker k (s)
  --noise_snr_db 10,20                                  adds pink noise at 10-20 dB SNR (mix_both)
  --seed 0"

stage=1
stop_stage=3
corpus_dir=corpus
nj=4
train_utts=1200
dev_utts=200
test_utts=300
train_speakers=16
dev_speakers=4
test_speakers=4
min_words=3
max_words=7
max_per_category=0
train_mix=1:300,2:600,3:300
dev_mix=1:30,2:60,3:30
test_mix=1:50,2:100,3:100
min_delay=1.0
max_delay=1.5
noise_snr_db=
seed=0

. utils/parse_options.sh
. ./path.sh

_noise_opts=
_mix_type=mix_clean
if [ -n "${noise_snr_db}" ]; then
    _noise_opts="--noise_snr_db ${noise_snr_db//,/ }"
    _mix_type=mix_both
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
    log "data.sh step 1: synthesise LibriSpeech-layout sources with espeak-ng -> ${corpus_dir}/LibriSpeech"
    _opts=
    if [ "${max_per_category}" -gt 0 ]; then
        _opts="--max_per_category ${max_per_category}"
    fi
    # shellcheck disable=SC2086
    python -m espnet_mtasr.bin.synth_librispeech --out_root "${corpus_dir}" \
        --train_utts "${train_utts}" --dev_utts "${dev_utts}" --test_utts "${test_utts}" \
        --train_speakers "${train_speakers}" --dev_speakers "${dev_speakers}" \
        --test_speakers "${test_speakers}" --min_words "${min_words}" --max_words "${max_words}" \
        --seed "${seed}" --nj "${nj}" ${_opts}
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
    log "data.sh step 2: simulate LibriMix-layout mixtures -> ${corpus_dir}/LibriMix"
    rm -rf "${corpus_dir}/LibriMix"
    for pair in "train-clean-100 train-100 ${train_mix//,/ }" "dev-clean dev ${dev_mix//,/ }" \
                "test-clean test ${test_mix//,/ }"; do
        # shellcheck disable=SC2086
        set -- ${pair}
        src=$1 subset=$2
        shift 2
        # shellcheck disable=SC2086
        python -m espnet_mtasr.bin.simulate_mixtures --librispeech_root "${corpus_dir}" \
            --librispeech_subsets "${src}" --subset "${subset}" --num_mixtures "$@" \
            --min_delay "${min_delay}" --max_delay "${max_delay}" --seed "${seed}" \
            --nj "${nj}" --out_root "${corpus_dir}/LibriMix" --no_sources ${_noise_opts}
    done
fi

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
    log "data.sh step 3: LibriMix preparation (the real recipe's code) -> data/{train,dev,test}"
    # Every output path must be writable before the first set is written.
    python -m espnet_mtasr.bin.check_output_dirs data/train data/dev data/test
    for pair in "train-100 train" "dev dev" "test test"; do
        # shellcheck disable=SC2086
        set -- ${pair}
        python -m espnet_mtasr.bin.prep_librimix --librimix_root "${corpus_dir}/LibriMix" \
            --librispeech_root "${corpus_dir}" --subset "$1" \
            --sources 2:mix_single "2:${_mix_type}" "3:${_mix_type}" --out_dir "data/$2"
    done
fi
log "data.sh: done"
