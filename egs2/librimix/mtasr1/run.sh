#!/usr/bin/env bash
# LibriMix (2- and/or 3-speaker) multi-talker ASR. Set LIBRIMIX and LIBRISPEECH in db.sh
# (and WAVLM_LARGE, LLAMA_3B for the LLM systems). Offsets give start-time order: for the
# tree of ESPnet's egs2/librimix/sot_asr1 set LIBRIMIX_OFFSET_METADATA (its
# local/metadta_Libri2Mix_offset); per-source `source_<k>_offset` columns also work;
# without offsets (LibriMix proper), source order.
#
# Systems (--system; see README.md):
#   sot_aed  (default) the SOT-AED baseline: ESPnet conformer encoder + transformer decoder
#            on <sc>-serialized char text
#   llm_sot  LLM-based SOT ("Advancing Multi-talker ASR Performance with Large Language
#            Models", arXiv 2408.17431): WavLM-large + projector + LLaMA-3.2-3B with LoRA
#   sop_llm  SOP-MT-ASR ("Serialized Output Prompting for Large Language Model-based
#            Multi-Talker Speech Recognition", arXiv 2509.04488) in three chained
#            sub-stages of stage 11:
#            a_sot = LLM-based SOT, b_sep = separator + serialized CTC, c_sop = a new LoRA
#            reading the serialized output prompt. Decoding a_sot alone gives the LLM-SOT row:
#            ./run.sh --system sop_llm --stage 12 --asr_sub_stage a_sot
#
#   ./run.sh                                  # SOT-AED, every stage
#   ./run.sh --system sop_llm                 # SOP-MT-ASR, every stage (one GPU)
#   ./run.sh --system sop_llm --stage 11 --stop_stage 11 --asr_sub_stage b_sep
#                                             # any mtasr.sh option goes through
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
valid_set=dev
test_sets="dev test"

# The LLM systems read local pretrained models (db.sh; nothing is downloaded). The training
# YAMLs name WavLM-large by the fixed path local/models/wavlm-large (a YAML file cannot read
# shell variables): link it to ${WAVLM_LARGE} here. LLaMA goes to mtasr.sh (--llm_path).
require_model() {  # <db.sh variable> <what the folder must hold>
    local path=${!1}
    if [ ! -f "${path}/config.json" ]; then
        echo "$0: Error: $1=${path} has no config.json. Set $1 in db.sh (or export it) to a" \
            "local Hugging Face folder saved with save_pretrained: $2. See README.md." >&2
        exit 1
    fi
}
link_llm_models() {
    require_model WAVLM_LARGE "WavLM-large (config.json + model.safetensors)"
    require_model LLAMA_3B "LLaMA-3.2-3B (config.json + weights + tokenizer files)"
    local target link=local/models/wavlm-large
    target=$(cd "${WAVLM_LARGE}" && pwd -P)
    if [ -d "${link}" ] && [ ! -L "${link}" ]; then
        if [ "$(cd "${link}" && pwd -P)" != "${target}" ]; then
            echo "$0: Error: ${link} is a directory, not a link: remove it, or set" \
                "WAVLM_LARGE=${link} in db.sh" >&2
            exit 1
        fi
    else
        mkdir -p local/models
        ln -sfn "${target}" "${link}"
    fi
}

case "${system}" in
    sot_aed)
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
            "${args[@]}"
        ;;
    llm_sot|sop_llm)
        link_llm_models
        if [ "${system}" = llm_sot ]; then
            # One training stage: sub-stage A of SOP-MT-ASR on its own
            train_opts=(--asr_config conf/train_llm_sot_wavlm_llama.yaml)
        else
            # Three sub-stages, each initialised from the previous one's valid.loss.ave.pth
            train_opts=(--asr_sub_stages "a_sot:conf/train_llm_sot_wavlm_llama.yaml b_sep:conf/train_sop_llm_wavlm_llama_b.yaml c_sop:conf/train_sop_llm_wavlm_llama_c.yaml")
        fi
        # --nj 8: every stage-10 (collect stats) job builds the whole model (~8 GB of RAM).
        # The token list is LLaMA-3's (stage 6); the encoder reads the waveform (no
        # global_mvn); decoding runs batched on the GPU.
        ./mtasr.sh \
            --lang en \
            --ngpu 1 \
            --nj 8 \
            --inference_nj 1 \
            --gpu_inference true \
            --inference_batch_size 8 \
            --token_type hugging_face \
            --llm_prep link \
            --llm_path "${LLAMA_3B}" \
            --feats_normalize none \
            --local_data_opts "--sources 2:mix_both" \
            --train_set "${train_set}" \
            --valid_set "${valid_set}" \
            --test_sets "${test_sets}" \
            "${train_opts[@]}" \
            --inference_config conf/decode_llm.yaml \
            --asr_tag "${system}_wavlm_llama3b" \
            --skip_packing true \
            "${args[@]}"
        ;;
    *) echo "$0: unknown --system '${system}' (sot_aed, llm_sot or sop_llm)" >&2; exit 2 ;;
esac
