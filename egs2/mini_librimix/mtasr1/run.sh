#!/usr/bin/env bash
# Mini LibriMix: a synthetic (espeak-ng) LibriMix-layout corpus with 1-, 2- and 3-talker
# mixtures that runs every stage on a CPU.
#
# Systems (--system):
#   sot_aed  the SOT-AED baseline: ESPnet conformer + transformer decoder on <sc>-serialized text
#   sop_llm  SOP-MT-ASR (seed 002) in three chained sub-stages of stage 11:
#            a_sot = LLM-based SOT (seed 003; the whole tiny LLM is fine-tuned),
#            b_sep = separator + serialized CTC, c_sop = a new LoRA on the (now frozen) LLM
#            reading the SOP draft. The LLM is a tiny LLaMA trained on the training
#            transcripts in stage 6; the encoder starts from the sot_aed model of the same
#            --size (run sot_aed first). Decoding a_sot alone gives the LLM-SOT system:
#            ./run.sh --system sop_llm --stage 12 --asr_sub_stage a_sot
#            Epochs per sub-stage: the configs' max_epoch at --size large, else llm_args.
#   encoder_only  encoder-only MT-ASR (seed 000): talker-count head + a separator/CTC branch
#            per talker count, CTC-only decoding; encoder + LLM-SOT teacher from the sop_llm
#            system's sub-stage a_sot, branch k from its 3-stream separator b_sep (run
#            sop_llm first; conf/train_encoder_only_from_sep.yaml). Branches from scratch:
#            --asr_config conf/train_encoder_only.yaml --asr_tag <new tag>
#            --pretrained_model exp/asr_sop_llm_<size>/a_sot/valid.acc.ave.pth; the
#            no-teacher ablation: --asr_config conf/train_encoder_only_noteacher.yaml
#            --asr_tag <new tag> --pretrained_model exp/asr_sop_llm_<size>/a_sot/valid.acc.ave.pth:encoder:encoder
#
#   ./run.sh                    # default demo size (make demo: <= 15 min on 2 cores, install included)
#   ./run.sh --size large       # the setting where accuracy is judged (RESULTS.md)
#   ./run.sh --size tiny        # smoke test (CI's integration test)
#   ./run.sh --stage 11         # any mtasr.sh option goes through, e.g. --stage/--stop_stage
set -e
set -u
set -o pipefail

size=demo
system=sot_aed
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --size=*) size=${1#--size=}; shift ;;
        --system) system=$2; shift 2 ;;
        --system=*) system=${1#--system=}; shift ;;
        *) args+=("$1"); shift ;;
    esac
done

inference_args=  # SOT-AED decoding options on top of conf/decode_sot.yaml
case "${size}" in
    tiny)
        local_data_opts="--train_utts 80 --dev_utts 24 --test_utts 24 --train_speakers 8"
        local_data_opts+=" --dev_speakers 3 --test_speakers 3"
        local_data_opts+=" --train_mix 1:12,2:16,3:8 --dev_mix 1:2,2:3,3:2 --test_mix 1:2,2:3,3:2"
        asr_args="--max_epoch 1 --batch_bins 300000"
        llm_args="--max_epoch 1 --batch_bins 300000"
        llm_prep_opts="--vocab_size 60 --hidden_size 64 --num_layers 2 --epochs 1"
        ;;
    demo)
        # Sized so that make demo (install included) ends in <= 15 min on 2 cores with a
        # model that recognises (README "The demo size"): a 150-word vocabulary, 3-5 words
        # per sentence, more 1- and 2-talker than 3-talker mixtures, 50 test mixtures per
        # talker count; 5 epochs of small batches (~1900 updates) without SpecAugment.
        local_data_opts="--train_utts 2000 --train_speakers 24 --max_words 5 --max_per_category 10"
        local_data_opts+=" --train_mix 1:900,2:900,3:300 --dev_mix 1:20,2:30,3:20"
        local_data_opts+=" --test_utts 200 --test_mix 1:50,2:50,3:50"
        asr_args="--max_epoch 5 --batch_bins 200000 --scheduler_conf warmup_steps=300"
        asr_args+=" --specaug none --encoder_conf dropout_rate=0.05 --decoder_conf dropout_rate=0.05"
        inference_args="--ctc_weight 0.5"  # chosen on dev (0.3 / 0.5 / 0.7)
        llm_args="--max_epoch 2"
        llm_prep_opts="--vocab_size 150 --hidden_size 128 --num_layers 2 --epochs 3"
        ;;
    large)
        local_data_opts="--train_utts 4000 --train_mix 1:1200,2:2400,3:1200"
        asr_args="--max_epoch 12"
        llm_args=""  # each sub-stage's own max_epoch (A 6, B 6, C 4)
        llm_prep_opts="--vocab_size 150 --hidden_size 192 --num_layers 3 --epochs 3 --batch_size 64 --lr 2e-3"
        ;;
    *) echo "$0: unknown --size '${size}' (tiny, demo or large)" >&2; exit 2 ;;
esac

train_set=train
valid_set=dev
test_sets="test"

case "${system}" in
    sot_aed)
        ./mtasr.sh \
            --lang en \
            --nj 2 \
            --inference_nj 2 \
            --token_type bpe \
            --nbpe 100 \
            --train_set "${train_set}" \
            --valid_set "${valid_set}" \
            --test_sets "${test_sets}" \
            --asr_config conf/train_sot_conformer.yaml \
            --inference_config conf/decode_sot.yaml \
            --asr_tag "sot_conformer_${size}" \
            --local_data_opts "${local_data_opts}" \
            --asr_args "${asr_args}" \
            --inference_args "${inference_args}" \
            "${args[@]}"
        ;;
    sop_llm | encoder_only)
        # Both use the tiny LLM of stage 6 and its tokenizer as the vocabulary. sop_llm
        # skips packing (stage 14): its model refers to the LLM folder by path. The packed
        # encoder_only model needs no LLM: mtasr_pack leaves the teacher out and packs
        # the tokenizer files.
        llm_common=(
            --lang en
            --nj 2
            --inference_nj 2
            --inference_batch_size 8
            --token_type hugging_face
            --llm_prep train_tiny
            --llm_prep_opts "${llm_prep_opts}"
            --train_set "${train_set}"
            --valid_set "${valid_set}"
            --test_sets "${test_sets}"
            --local_data_opts "${local_data_opts}"
            --asr_args "${llm_args}"
            --skip_packing true
        )
        if [ "${system}" = sop_llm ]; then
            # Sub-stage A is LLM-based SOT; B and C add the SOP (see the conf files).
            ./mtasr.sh "${llm_common[@]}" \
                --asr_sub_stages "a_sot:conf/train_llm_sot_full.yaml b_sep:conf/train_sop_llm_full_b.yaml c_sop:conf/train_sop_llm_full_c.yaml" \
                --pretrained_model "exp/asr_sot_conformer_${size}/valid.acc.ave.pth:encoder:encoder" \
                --inference_config conf/decode_llm.yaml \
                --asr_tag "sop_llm_${size}" \
                "${args[@]}"
        else
            # Encoder and LLM-SOT teacher start from the sop_llm system's sub-stage A;
            # branch k (k+1 talkers) from B's separator LSTM and its first k+1 stream
            # projections / CTC heads (ESPnet --init_param key mapping; the heads a
            # branch lacks are the "mismatch" that --ignore_init_mismatch lets pass).
            b_sep="exp/asr_sop_llm_${size}/b_sep/valid.loss.ave.pth"
            init="exp/asr_sop_llm_${size}/a_sot/valid.acc.ave.pth::"
            for k in 0 1 2; do
                init+=" ${b_sep}:separator:separator_branches.${k}"
                init+=" ${b_sep}:serialized_ctc:ctc_branches.${k}"
            done
            ./mtasr.sh "${llm_common[@]}" \
                --asr_config conf/train_encoder_only_from_sep.yaml \
                --pretrained_model "${init}" \
                --asr_args "${llm_args} --ignore_init_mismatch true" \
                --inference_config conf/decode_encoder_only.yaml \
                --inference_asr_model valid.loss_ctc.ave.pth \
                --asr_tag "encoder_only_${size}" \
                --skip_packing false \
                "${args[@]}"
        fi
        ;;
    *) echo "$0: unknown --system '${system}' (sot_aed, sop_llm or encoder_only)" >&2; exit 2 ;;
esac
