#!/usr/bin/env bash
# Mini AliMeeting: synthetic Mandarin meetings (espeak-ng) in AliMeeting's layout, read by
# the real AliMeeting prep; the dual-encoder speaker-attributed LLM (sa_llm, seed 001)
# writes speaker-tagged text (<spk1> ... <spk2> ...), scored by CER / cpCER on 30 s windows
# (test) and on whole sessions (test_session).
#
#   ./run.sh                      # demo size, every stage (CPU)
#   ./run.sh --size tiny          # smoke test (CI's integration test)
#   ./run.sh --stage 11 --asr_config conf/train_sa_llm_semantic.yaml \
#       --asr_tag sa_llm_semantic_demo            # an ablation row (README.md)
#   any other mtasr.sh option goes through
set -e
set -u
set -o pipefail

size=demo
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --size=*) size=${1#--size=}; shift ;;
        *) args+=("$1"); shift ;;
    esac
done

case "${size}" in
    tiny)
        local_data_opts="--sessions train:4,eval:1,test:1 --turns 6"
        asr_args="--max_epoch 1 --batch_bins 400000"
        llm_prep_opts="--vocab_size 100 --hidden_size 64 --num_layers 2 --epochs 1"
        ;;
    demo)
        local_data_opts="--sessions train:60,eval:6,test:12 --turns 8"
        asr_args=""  # the config's max_epoch
        llm_prep_opts="--vocab_size 100 --hidden_size 128 --num_layers 2 --epochs 5"
        ;;
    *) echo "$0: unknown --size '${size}' (tiny or demo)" >&2; exit 2 ;;
esac
# The LLM tokenizer is character-level: a BPE of --vocab_size 100 keeps its alphabet (the
# corpus' ~100 characters) and has (almost) no merges, so a token is one syllable, as in
# ESPnet's Mandarin recipes (token_type char); multi-character pieces (vocab 300) left
# the demo at chance (README). The speaker tags stay whole: up to 4 speakers per meeting.
llm_prep_opts+=" --added_tokens <sc> <spk1> <spk2> <spk3> <spk4>"

./mtasr.sh \
    --lang zh \
    --nj 2 \
    --inference_nj 2 \
    --inference_batch_size 4 \
    --token_type hugging_face \
    --llm_prep train_tiny \
    --llm_prep_opts "${llm_prep_opts}" \
    --text_name text_spktag \
    --score_mode char \
    --train_set train \
    --valid_set eval \
    --test_sets "test test_session" \
    --local_data_opts "${local_data_opts}" \
    --asr_config conf/train_sa_llm.yaml \
    --inference_config conf/decode_sa_llm.yaml \
    --asr_tag "sa_llm_${size}" \
    --asr_args "${asr_args}" \
    --skip_packing true \
    "${args[@]}"
