# shellcheck shell=bash disable=SC2034  # variables read by run.sh, which sources this file
# run.sh --size large: the sizes of the corpus, training and LLM (sourced by run.sh).
local_data_opts="--train_utts 4000 --train_mix 1:1200,2:2400,3:1200"
asr_args="--max_epoch 12"
llm_args=""  # each sub-stage's own max_epoch (A 6, B 6, C 4)
llm_prep_opts="--vocab_size 150 --hidden_size 192 --num_layers 3 --epochs 3 --batch_size 64 --lr 2e-3"
