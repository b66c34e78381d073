# shellcheck shell=bash disable=SC2034  # variables read by run.sh, which sources this file
# run.sh --size tiny: the sizes of the corpus, training and LLM (sourced by run.sh).
local_data_opts="--sessions train:4,eval:1,test:1 --turns 6"
asr_args="--max_epoch 1 --batch_bins 400000"
llm_prep_opts="--vocab_size 100 --hidden_size 64 --num_layers 2 --epochs 1"
