#!/usr/bin/env bash
# Decoding speed of the mini LibriMix systems on the same test inputs, runs interleaved:
# the SOT-AED baseline, LLM-SOT (sop_llm sub-stage a_sot), SOP-MT-ASR (c_sop) and the
# encoder-only model, one utterance at a time and in batches of 8 (LLM: KV cache on).
# All use the same conformer encoder. Needs the trained models of ./run.sh --size <size>
# [--system sop_llm | encoder_only]; a system whose folder option is "none" is left out.
#
#   local/bench_decoding.sh [--size large] [--num_utts 60] [--runs 3] \
#       [--llm_sot exp/asr_sop_llm_large/a_sot] [--sop_llm none] [--encoder_only none]
set -e
set -u
set -o pipefail

size=large
num_utts=60
runs=3
aed=
llm_sot=
sop_llm=
encoder_only=
. utils/parse_options.sh
. ./path.sh

: "${aed:=exp/asr_sot_conformer_${size}}"
: "${llm_sot:=exp/asr_sop_llm_${size}/a_sot}"
: "${sop_llm:=exp/asr_sop_llm_${size}/c_sop}"
: "${encoder_only:=exp/asr_encoder_only_${size}}"

systems=(--system sot_aed_b1 "${aed}/config.yaml" "${aed}/valid.acc.ave.pth" conf/decode_sot.yaml 1)
for name in llm_sot sop_llm; do
    dir=${!name}
    [ "${dir}" = none ] && continue
    for batch in 1 8; do
        systems+=(--system "${name}_b${batch}" "${dir}/config.yaml" "${dir}/valid.acc.ave.pth" conf/decode_llm.yaml "${batch}")
    done
done
if [ "${encoder_only}" != none ]; then
    for batch in 1 8; do
        systems+=(--system "encoder_only_b${batch}" "${encoder_only}/config.yaml" \
            "${encoder_only}/valid.loss_ctc.ave.pth" conf/decode_encoder_only.yaml "${batch}")
    done
fi
python3 -m espnet_mtasr.bin.bench_decoding \
    --wav_scp dump/raw/test/wav.scp --num_utts "${num_utts}" --runs "${runs}" \
    --out "exp/bench/rtf_${size}.json" "${systems[@]}"
