#!/usr/bin/env bash
# Decoding speed of the mini LibriMix systems on the same test inputs, runs interleaved:
# the SOT-AED baseline, LLM-SOT (sop_llm sub-stage a_sot) and SOP-MT-ASR (c_sop), the LLM
# systems one utterance at a time and in batches of 8 (KV cache on). Needs the trained
# models of ./run.sh --size <size> and ./run.sh --size <size> --system sop_llm.
#
#   local/bench_decoding.sh [--size large] [--num_utts 60] [--runs 3]
set -e
set -u
set -o pipefail

size=large
num_utts=60
runs=3
. utils/parse_options.sh
. ./path.sh

aed=exp/asr_sot_conformer_${size}
llm=exp/asr_sop_llm_${size}
python3 -m espnet_mtasr.bin.bench_decoding \
    --wav_scp dump/raw/test/wav.scp --num_utts "${num_utts}" --runs "${runs}" \
    --out "exp/bench/rtf_${size}.json" \
    --system sot_aed_b1 "${aed}/config.yaml" "${aed}/valid.acc.ave.pth" conf/decode_sot.yaml 1 \
    --system llm_sot_b1 "${llm}/a_sot/config.yaml" "${llm}/a_sot/valid.acc.ave.pth" conf/decode_llm.yaml 1 \
    --system llm_sot_b8 "${llm}/a_sot/config.yaml" "${llm}/a_sot/valid.acc.ave.pth" conf/decode_llm.yaml 8 \
    --system sop_llm_b1 "${llm}/c_sop/config.yaml" "${llm}/c_sop/valid.acc.ave.pth" conf/decode_llm.yaml 1 \
    --system sop_llm_b8 "${llm}/c_sop/config.yaml" "${llm}/c_sop/valid.acc.ave.pth" conf/decode_llm.yaml 8
