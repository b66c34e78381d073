#!/usr/bin/env bash
# AliMeeting multi-talker ASR (Mandarin, characters; scored by CER / cpCER). Set ALIMEETING in
# db.sh (and QWEN_05B, ESPNET_SPK for sa_llm). Stage 1 (local/data.sh) windows the
# sessions; see README.md.
#
# Systems (--system):
#   sot_aed (default) SOT-AED baseline: conformer + transformer decoder on <sc> text
#   sa_llm            dual-encoder speaker-attributed LLM ("Balancing ASR and diarization in
#                     end-to-end LLMs for multi-talker speech recognition"): conformer +
#                     ECAPA-TDNN interleaved into Qwen2.5-0.5B + LoRA 16, speaker-tagged output
#
#   ./run.sh                                   # SOT-AED baseline, every stage
#   ./run.sh --system sa_llm                   # speaker-attributed LLM, every stage (one GPU)
#   ./run.sh --stage 12 --test_sets "eval_session"   # any mtasr.sh option goes through
set -e
set -u
set -o pipefail

system=sot_aed
help_message="Usage: $0 [--system X] [any mtasr.sh option]  (see the top of $0; ./mtasr.sh --help)"
parse_options_passthrough=true  # the options above are run.sh's; every other goes to mtasr.sh
. utils/parse_options.sh
args=("$@")

. ./db.sh

train_set=train
valid_set="eval"
test_sets="eval test"

case "${system}" in
    sot_aed)
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
            "${args[@]}"
        ;;
    sa_llm)
        if [ ! -f "${QWEN_05B}/config.json" ]; then
            echo "$0: Error: QWEN_05B=${QWEN_05B} has no config.json. Set QWEN_05B in db.sh to a" \
                "local Hugging Face folder of Qwen2.5-0.5B (save_pretrained)." >&2
            exit 1
        fi
        if [ ! -f "${ESPNET_SPK}" ]; then
            echo "$0: Error: ESPNET_SPK=${ESPNET_SPK} is not a file. Set ESPNET_SPK in db.sh to" \
                "an ESPnet-SPK checkpoint (*.pth) with an ECAPA-TDNN encoder." >&2
            exit 1
        fi
        mkdir -p local/models
        ln -sfn "$(cd "$(dirname "${ESPNET_SPK}")" && pwd -P)/$(basename "${ESPNET_SPK}")" \
            local/models/espnet_spk.pth
        ./mtasr.sh \
            --lang zh \
            --ngpu 1 \
            --nj 16 \
            --inference_nj 1 \
            --gpu_inference true \
            --inference_batch_size 8 \
            --token_type hugging_face \
            --llm_prep link \
            --llm_path "${QWEN_05B}" \
            --llm_prep_opts "--added_tokens <sc> <spk1> <spk2> <spk3> <spk4> <spk5> <spk6> <spk7> <spk8>" \
            --text_name text_spktag \
            --score_mode char \
            --train_set "${train_set}" \
            --valid_set "${valid_set}" \
            --test_sets "${test_sets}" \
            --asr_config conf/train_sa_llm_qwen.yaml \
            --inference_config conf/decode_sa_llm.yaml \
            --asr_tag sa_llm_qwen05b \
            --skip_packing true \
            "${args[@]}"
        ;;
    *) echo "$0: unknown --system '${system}' (sot_aed or sa_llm)" >&2; exit 2 ;;
esac
