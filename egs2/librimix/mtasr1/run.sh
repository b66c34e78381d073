#!/usr/bin/env bash
# LibriMix (2- and/or 3-speaker) multi-talker ASR: the SOT-AED baseline (ESPnet conformer
# encoder + transformer decoder on <sc>-serialized text). Set LIBRIMIX and LIBRISPEECH in
# db.sh. Offsets: metadata with an `offset` column (ESPnet sot_asr1) or per-source
# `source_<k>_offset` columns gives start-time order; without offsets, source order.
set -e
set -u
set -o pipefail

train_set=train
valid_set=dev
test_sets="dev test"

asr_config=conf/train_sot_conformer.yaml
inference_config=conf/decode_sot.yaml

./mtasr.sh \
    --lang en \
    --ngpu 1 \
    --nj 16 \
    --inference_nj 16 \
    --gpu_inference false \
    --token_type char \
    --local_data_opts "--sources 2:mix_both" \
    --train_set "${train_set}" \
    --valid_set "${valid_set}" \
    --test_sets "${test_sets}" \
    --asr_config "${asr_config}" \
    --inference_config "${inference_config}" \
    "$@"
