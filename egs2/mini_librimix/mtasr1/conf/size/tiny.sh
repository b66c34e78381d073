# shellcheck shell=bash disable=SC2034  # variables read by run.sh, which sources this file
# run.sh --size tiny: the sizes of the corpus, training and LLM (sourced by run.sh).
local_data_opts="--train_utts 80 --dev_utts 24 --test_utts 24 --train_speakers 8"
local_data_opts+=" --dev_speakers 3 --test_speakers 3"
local_data_opts+=" --train_mix 1:12,2:16,3:8 --dev_mix 1:2,2:3,3:2 --test_mix 1:2,2:3,3:2"
asr_args="--max_epoch 1 --batch_bins 300000"
llm_args="--max_epoch 1 --batch_bins 300000"
llm_prep_opts="--vocab_size 60 --hidden_size 64 --num_layers 2 --epochs 1"
