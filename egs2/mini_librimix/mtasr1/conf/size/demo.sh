# shellcheck shell=bash disable=SC2034  # variables read by run.sh, which sources this file
# run.sh --size demo: the sizes of the corpus, training and LLM (sourced by run.sh).
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
