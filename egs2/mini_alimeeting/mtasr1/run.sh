#!/usr/bin/env bash
# Mini AliMeeting: synthetic meetings (Mandarin sentences spoken by espeak-ng's yue voice,
# see local/data.sh --voice) in AliMeeting's layout, read by the real AliMeeting prep; the
# dual-encoder speaker-attributed LLM (sa_llm, from "Balancing ASR and diarization in
# end-to-end LLMs for multi-talker speech recognition") writes speaker-tagged text
# (<spk1> ... <spk2> ...), scored by CER / cpCER on 30 s windows (test) and on whole
# sessions (test_session).
#
# Systems (--system), both on text_spktag with the LLM's character-level vocabulary:
#   sot_aed  speaker-attributed SOT-AED: ESPnet conformer (the sa_llm ASR encoder's
#            architecture) + transformer decoder, CTC + attention. A baseline row, and the
#            pre-trained ASR encoder of sa_llm (as the paper starts from SenseVoice).
#   sa_llm   the paper's system; its ASR encoder starts from sot_aed of the same --size.
#   all      (default) sot_aed, then sa_llm (which reuses stages 1-10).
#
#   ./run.sh                      # demo size, every stage of both systems (CPU)
#   ./run.sh --size large         # 300 training meetings: where accuracy is judged
#   ./run.sh --size tiny          # smoke test (CI's integration test)
#   ./run.sh --system sa_llm --stage 11 --asr_config conf/train_sa_llm_semantic.yaml \
#       --asr_tag sa_llm_semantic_demo            # an ablation row (README.md)
#   any other mtasr.sh option goes through
set -e
set -u
set -o pipefail

size=demo
system=all
stage=1
stop_stage=10000
help_message="Usage: $0 [--size X --system X --stage X --stop_stage X] [any mtasr.sh option]  (see the top of $0; ./mtasr.sh --help)"
parse_options_passthrough=true  # the options above are run.sh's; every other goes to mtasr.sh
. utils/parse_options.sh
args=("$@")

if [ ! -f "conf/size/${size}.sh" ]; then
    echo "$0: unknown --size '${size}' (tiny, demo, large: conf/size/<size>.sh)" >&2
    exit 2
fi
# shellcheck source=conf/size/demo.sh
. "conf/size/${size}.sh"
# Each size synthesises its own corpus; large also keeps its own dump/ and exp/ (data/ is
# rewritten by stage 1 of whichever size runs).
expdir=exp
if [ "${size}" = large ]; then
    export ALIMEETING=${ALIMEETING:-corpus/AliMeeting_large}
    expdir=exp_large
    args=(--dumpdir dump_large --expdir exp_large "${args[@]}")
elif [ "${size}" = tiny ]; then
    export ALIMEETING=${ALIMEETING:-corpus/AliMeeting_tiny}
fi
# The LLM tokenizer is character-level: a BPE of --vocab_size 100 keeps its alphabet (the
# corpus' ~100 characters) and has (almost) no merges, so a token is one syllable, as in
# ESPnet's Mandarin recipes (token_type char); multi-character pieces (vocab 300) left
# the demo at chance (README). The speaker tags stay whole: up to 4 speakers per meeting.
llm_prep_opts+=" --added_tokens <sc> <spk1> <spk2> <spk3> <spk4>"

common=(
    --lang zh
    --nj 2
    --inference_nj 2
    --inference_batch_size 4
    --token_type hugging_face
    --llm_prep train_tiny
    --llm_prep_opts "${llm_prep_opts}"
    --text_name text_spktag
    --score_mode char
    --train_set train
    --valid_set eval
    --test_sets "test test_session"
    --local_data_opts "${local_data_opts}"
    --stop_stage "${stop_stage}"
)
sot_aed() {
    ./mtasr.sh "${common[@]}" \
        --stage "$1" \
        --asr_config conf/train_sot_conformer.yaml \
        --asr_args "${sot_asr_args-${asr_args}}" \
        --inference_config conf/decode_sot.yaml \
        --asr_tag "sot_conformer_${size}" \
        "${args[@]}"
}
sa_llm() {
    # The model refers to the LLM folder by path: no packing (stage 14).
    ./mtasr.sh "${common[@]}" \
        --stage "$1" \
        --asr_config conf/train_sa_llm.yaml \
        --asr_args "${asr_args}" \
        --pretrained_model "${expdir}/asr_sot_conformer_${size}/valid.acc.ave.pth:encoder:encoder" \
        --inference_config conf/decode_sa_llm.yaml \
        --asr_tag "sa_llm_${size}" \
        --skip_packing true \
        "${args[@]}"
}

case "${system}" in
    sot_aed) sot_aed "${stage}" ;;
    sa_llm) sa_llm "${stage}" ;;
    all)
        sot_aed "${stage}"
        # Stages 1-10 (data, LLM, statistics) are the ones sot_aed just ran.
        sa_llm "$(( stage > 11 ? stage : 11 ))"
        ;;
    *) echo "$0: unknown --system '${system}' (sot_aed, sa_llm or all)" >&2; exit 2 ;;
esac
