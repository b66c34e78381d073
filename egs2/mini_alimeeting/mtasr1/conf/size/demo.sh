# shellcheck shell=bash disable=SC2034  # variables read by run.sh, which sources this file
# run.sh --size demo: the sizes of the corpus, training and LLM (sourced by run.sh).
local_data_opts="--sessions train:60,eval:6,test:12 --turns 8"
asr_args=""  # the config's max_epoch
llm_prep_opts="--vocab_size 100 --hidden_size 128 --num_layers 2 --epochs 5"
