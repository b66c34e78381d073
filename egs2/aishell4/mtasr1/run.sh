#!/usr/bin/env bash
# AISHELL-4 multi-talker ASR (Mandarin, characters; scored by CER / cpCER). Set AISHELL4 in
# db.sh. Stage 1 (local/data.sh) windows the sessions; see README.md.
#
#   ./run.sh                                   # SOT-AED baseline, every stage
#   ./run.sh --stage 12 --test_sets "test_session"   # any mtasr.sh option goes through
set -e
set -u
set -o pipefail

train_set=train
valid_set=test
test_sets="test"

./mtasr.sh \
    --lang zh \
    --ngpu 1 \
    --nj 16 \
    --inference_nj 16 \
    --gpu_inference false \
    --token_type char \
    --score_mode char \
    --train_set "${train_set}" \
    --valid_set "${valid_set}" \
    --test_sets "${test_sets}" \
    --asr_config conf/train_sot_conformer.yaml \
    --inference_config conf/decode_sot.yaml \
    "$@"
