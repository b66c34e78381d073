#!/usr/bin/env bash
# Multi-talker ASR recipe template (espnet_mtasr). Stage numbers follow ESPnet's asr.sh.
#
# This script only sequences stages and passes options; every stage's logic is a Python
# main in espnet_mtasr.bin (or ESPnet's espnet2.bin). Recipes call it from run.sh.

set -e
set -u
set -o pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*"
}
min() {
    local a b
    a=$1
    for b in "$@"; do
        if [ "${b}" -le "${a}" ]; then a="${b}"; fi
    done
    echo "${a}"
}
SECONDS=0
_stage_start=0
stage_begin() { _stage_start=${SECONDS}; log "Stage $1: $2"; }
stage_end() { log "Stage $1 done in $((SECONDS - _stage_start)) s (recipe wall time so far: ${SECONDS} s)"; }

# General configuration
stage=1              # Processes starts from the specified stage.
stop_stage=10000     # Processes is stopped at the specified stage.
skip_data_prep=false # Skip data preparation stages.
skip_train=false     # Skip training stages.
skip_eval=false      # Skip decoding and evaluation stages.
skip_packing=false   # Skip the packing stage.
ngpu=0               # The number of gpus ("0" uses cpu, otherwise use gpu).
num_nodes=1          # The number of nodes.
nj=2                 # The number of parallel jobs.
inference_nj=2       # The number of parallel jobs in decoding.
gpu_inference=false  # Whether to perform gpu decoding.
dumpdir=dump         # Directory to dump features.
expdir=exp           # Directory to save experiments.
python=python3       # Specify python to execute espnet commands.

# Data preparation related
local_data_opts=     # The options given to local/data.sh.

# Speed perturbation related
speed_perturb_factors= # perturbation factors, e.g. "0.9 1.0 1.1" (separated by space).

# Feature extraction related
audio_format=wav     # Audio format: wav or flac.
fs=16k               # Sampling rate.
min_wav_duration=0.1 # Minimum duration in second.
max_wav_duration=30  # Maximum duration in second.

# Tokenization related
token_type=bpe       # Tokenization type: char, bpe, or hugging_face (the LLM's tokenizer, from stage 6).
nbpe=300             # The number of BPE vocabulary.
bpemode=unigram      # Mode of BPE (unigram or bpe).
bpe_input_sentence_size=100000000 # Size of input sentence for BPE.
bpe_char_cover=1.0   # character coverage when modeling BPE
sc_token="<sc>"      # Speaker-change token of serialized output training (kept whole).
extra_symbols=""     # More symbols kept whole (e.g. speaker tags "<spk1> <spk2>").

# LLM preparation (stage 6)
llm_prep=none        # none: the model has no LLM; link: link llm_path; train_tiny: train a tiny causal LM on the training text.
llm_path=            # Local HF checkpoint for llm_prep=link.
llm_prep_opts=       # Options given to the LLM preparation main.

# ASR model related
asr_tag=       # Suffix to the result dir for asr model training.
asr_exp=       # Specify the directory path for ASR experiment.
asr_config=    # Config for asr model training.
asr_sub_stages= # Multi-stage training: "name:config name:config ..." trained in order into
                # ${asr_exp}/<name>, each initialised from the previous one (--init_param).
asr_sub_stage=  # Run (stage 11) and decode (stages 12-14) only this sub-stage.
asr_chain_model=valid.loss.ave.pth # Checkpoint of a sub-stage that initialises the next one.
pretrained_model= # --init_param of the first (or only) sub-stage, e.g. exp/x/valid.acc.ave.pth:encoder:encoder (several: space-separated)
asr_args=      # Arguments for asr model training, e.g., "--max_epoch 10".
feats_normalize=global_mvn # Normalizaton layer type.

# Decoding related
inference_tag=    # Suffix to the result dir for decoding.
inference_config= # Config for decoding.
inference_args=   # Arguments for decoding, e.g., "--lm_weight 0.1".
inference_asr_model=valid.acc.ave.pth # ASR model path for decoding.
inference_batch_size=1 # Utterances per decoding batch.
score_mode=word   # word: WER / cpWER; char: CER / cpCER (Mandarin).
text_name=text    # Training target and scoring reference: text (SOT, <sc>) or text_spktag
                  # (speaker-tagged: <spk1> ... <spk2> ..., the sa_llm family).

# [Task dependent] Set the datadir name created by local/data.sh
train_set=     # Name of training set.
valid_set=     # Name of validation set used for monitoring/tuning network training.
test_sets=     # Names of test sets. Multiple items (e.g., both dev and eval sets) can be specified.
lang=en        # The language type of corpus.

help_message=$(cat << EOF
Usage: $0 --train-set "<train_set_name>" --valid-set "<valid_set_name>" --test_sets "<test_set_names>"

Options:
    # General configuration
    --stage          # Processes starts from the specified stage (default="${stage}").
    --stop_stage     # Processes is stopped at the specified stage (default="${stop_stage}").
    --skip_data_prep # Skip data preparation stages (default="${skip_data_prep}").
    --skip_train     # Skip training stages (default="${skip_train}").
    --skip_eval      # Skip decoding and evaluation stages (default="${skip_eval}").
    --skip_packing   # Skip the packing stage (default="${skip_packing}").
    --ngpu           # The number of gpus ("0" uses cpu, otherwise use gpu, default="${ngpu}").
    --num_nodes      # The number of nodes (default="${num_nodes}").
    --nj             # The number of parallel jobs (default="${nj}").
    --inference_nj   # The number of parallel jobs in decoding (default="${inference_nj}").
    --gpu_inference  # Whether to perform gpu decoding (default="${gpu_inference}").
    --dumpdir        # Directory to dump features (default="${dumpdir}").
    --expdir         # Directory to save experiments (default="${expdir}").
    --python         # Specify python to execute espnet commands (default="${python}").

    # Data preparation related
    --local_data_opts # The options given to local/data.sh (default="${local_data_opts}").

    # Speed perturbation related
    --speed_perturb_factors # speed perturbation factors, e.g. "0.9 1.0 1.1" (default="${speed_perturb_factors}").

    # Feature extraction related
    --audio_format     # Audio format: wav or flac (default="${audio_format}").
    --fs               # Sampling rate (default="${fs}").
    --min_wav_duration # Minimum duration in second (default="${min_wav_duration}").
    --max_wav_duration # Maximum duration in second (default="${max_wav_duration}").

    # Tokenization related
    --token_type    # char, bpe or hugging_face (default="${token_type}").
    --nbpe          # The number of BPE vocabulary (default="${nbpe}").
    --bpemode       # Mode of BPE (unigram or bpe, default="${bpemode}").
    --sc_token      # Speaker-change token kept whole (default="${sc_token}").
    --extra_symbols # More symbols kept whole (default="${extra_symbols}").

    # LLM preparation
    --llm_prep      # none, link or train_tiny (default="${llm_prep}").
    --llm_path      # Local HF checkpoint for --llm_prep link (default="${llm_path}").
    --llm_prep_opts # Options of the LLM preparation (default="${llm_prep_opts}").

    # ASR model related
    --asr_tag          # Suffix to the result dir for asr model training (default="${asr_tag}").
    --asr_exp          # Specify the directory path for ASR experiment (default="${asr_exp}").
    --asr_config       # Config for asr model training (default="${asr_config}").
    --asr_sub_stages   # "name:config ..." chained sub-stages of stage 11 (default="${asr_sub_stages}").
    --asr_sub_stage    # Train and decode only this sub-stage (default="${asr_sub_stage}").
    --asr_chain_model  # Checkpoint passed to the next sub-stage (default="${asr_chain_model}").
    --pretrained_model # --init_param of the first sub-stage (default="${pretrained_model}").
    --asr_args         # Arguments for asr model training (default="${asr_args}").
    --feats_normalize  # Normalizaton layer type (default="${feats_normalize}").

    # Decoding related
    --inference_tag        # Suffix to the result dir for decoding (default="${inference_tag}").
    --inference_config     # Config for decoding (default="${inference_config}").
    --inference_args       # Arguments for decoding (default="${inference_args}").
    --inference_asr_model  # ASR model path for decoding (default="${inference_asr_model}").
    --inference_batch_size # Utterances per decoding batch (default="${inference_batch_size}").
    --score_mode           # word (WER/cpWER) or char (CER/cpCER) (default="${score_mode}").
    --text_name            # text (SOT) or text_spktag (speaker tags) (default="${text_name}").

    # [Task dependent] Set the datadir name created by local/data.sh
    --train_set     # Name of training set (required).
    --valid_set     # Name of validation set used for monitoring/tuning network training (required).
    --test_sets     # Names of test sets (required).
    --lang          # The language type of corpus (default=${lang}).
EOF
)

log "$0 $*"
# Save command line args for logging (they will be lost after utils/parse_options.sh)
run_args=$(printf '%q ' "$0" "$@")
. utils/parse_options.sh

if [ $# -ne 0 ]; then
    log "${help_message}"
    log "Error: No positional arguments are required."
    exit 2
fi

. ./path.sh
. ./cmd.sh

# Check required arguments
[ -z "${train_set}" ] && { log "${help_message}"; log "Error: --train_set is required"; exit 2; };
[ -z "${valid_set}" ] && { log "${help_message}"; log "Error: --valid_set is required"; exit 2; };
[ -z "${test_sets}" ] && { log "${help_message}"; log "Error: --test_sets is required"; exit 2; };
# Sub-stages of stage 11: "name:config" pairs (a single --asr_config is one unnamed sub-stage)
_sub_names=()
_sub_configs=()
if [ -n "${asr_sub_stages}" ]; then
    for _sub in ${asr_sub_stages}; do
        case "${_sub}" in
            *:*) ;;
            *) log "Error: --asr_sub_stages entry '${_sub}' is not name:config"; exit 2;;
        esac
        _sub_names+=("${_sub%%:*}")
        _sub_configs+=("${_sub#*:}")
    done
    # collect stats (stage 10) uses the first sub-stage's config unless --asr_config is given
    [ -z "${asr_config}" ] && asr_config="${_sub_configs[0]}"
else
    _sub_names+=("")
    _sub_configs+=("${asr_config}")
fi
[ -z "${asr_config}" ] && { log "Error: --asr_config (or --asr_sub_stages) is required"; exit 2; };
for _conf in "${asr_config}" "${_sub_configs[@]}"; do
    [ -f "${_conf}" ] || { log "Error: training config ${_conf} does not exist (--asr_config / --asr_sub_stages)"; exit 2; }
done
if [ -n "${asr_sub_stage}" ] && [[ " ${_sub_names[*]} " != *" ${asr_sub_stage} "* ]]; then
    log "Error: --asr_sub_stage '${asr_sub_stage}' is not one of --asr_sub_stages: ${_sub_names[*]}"; exit 2
fi
if [ -n "${inference_config}" ] && [ ! -f "${inference_config}" ]; then
    log "Error: --inference_config ${inference_config} does not exist"; exit 2
fi
case "${token_type}" in char|bpe|hugging_face) ;; *) log "Error: --token_type must be char, bpe or hugging_face, not '${token_type}'"; exit 2;; esac
case "${score_mode}" in word|char) ;; *) log "Error: --score_mode must be word or char, not '${score_mode}'"; exit 2;; esac
case "${text_name}" in
    text) text_format=sot ;;
    text_spktag) text_format=spk_tag ;;
    *) log "Error: --text_name must be text or text_spktag, not '${text_name}'"; exit 2;;
esac
case "${llm_prep}" in none|link|train_tiny) ;; *) log "Error: --llm_prep must be none, link or train_tiny, not '${llm_prep}'"; exit 2;; esac
if [ "${token_type}" = hugging_face ] && [ "${llm_prep}" = none ]; then
    log "Error: --token_type hugging_face uses the LLM's tokenizer from stage 6: set --llm_prep link or train_tiny"; exit 2
fi

# Check feature type
data_feats=${dumpdir}/raw

# Use the same text as ASR for bpe training if not specified.
bpe_train_text="${data_feats}/${train_set}/${text_name}"

# LLM (stage 6): the tokenizer, its token list and the LLM folder
llm_dir="${expdir}/llm"
llm_model="${llm_dir}" # train_tiny; link mode: the path in ${llm_dir}/llm_path (after stage 6)
if [ "${llm_prep}" = link ]; then
    llm_tokenizer="${llm_dir}/tokenizer" # the checkpoint's tokenizer with <sc> added
else
    llm_tokenizer="${llm_dir}"           # train_tiny saves the tokenizer with the LM
fi

# Tokens
if [ "${token_type}" = bpe ]; then
    token_listdir=data/token_list/bpe_${bpemode}${nbpe}
    bpemodel="${token_listdir}/bpe.model"
elif [ "${token_type}" = hugging_face ]; then
    # ESPnet's token ids are the LLM tokenizer's ids (see espnet_mtasr/asr/decoder/hf_llm_decoder.py)
    token_listdir="${llm_dir}"
    bpemodel="${llm_tokenizer}"
else
    token_listdir=data/token_list/char
    bpemodel=none
fi
token_list="${token_listdir}/tokens.txt"
nlsyms_txt="${token_listdir}/nlsyms.txt"
if [ "${token_type}" = hugging_face ]; then
    nlsyms_txt=none  # <sc> and speaker tags are tokens of the LLM tokenizer
fi

# Set tag for naming of model directory
if [ -z "${asr_tag}" ]; then
    asr_tag="$(basename "${asr_config}" .yaml)_${token_type}"
    if [ "${token_type}" = bpe ]; then
        asr_tag+="${nbpe}"
    fi
    if [ -n "${asr_args}" ]; then
        asr_tag+="$(echo "${asr_args}" | sed -e "s/--/\_/g" -e "s/[ |=/]//g")"
    fi
fi
if [ -z "${inference_tag}" ]; then
    if [ -n "${inference_config}" ]; then
        inference_tag="$(basename "${inference_config}" .yaml)"
    else
        inference_tag=inference
    fi
    if [ -n "${inference_args}" ]; then
        inference_tag+="$(echo "${inference_args}" | sed -e "s/--/\_/g" -e "s/[ |=]//g")"
    fi
    inference_tag+="_asr_model_$(echo "${inference_asr_model}" | sed -e "s/\//_/g" -e "s/\.[^.]*$//g")"
fi

# The directory used for collect-stats mode
asr_stats_dir="${expdir}/asr_stats_raw_${lang}_${token_type}"
if [ "${token_type}" = bpe ]; then
    asr_stats_dir+="${nbpe}"
fi
# The directory used for training commands
if [ -z "${asr_exp}" ]; then
    asr_exp="${expdir}/asr_${asr_tag}"
fi

_fs=$(${python} -c "import humanfriendly as h; print(h.parse_size('${fs}'))")

# ========================== Main stages start from here. ==========================

if ! "${skip_data_prep}"; then
    if [ ${stage} -le 1 ] && [ ${stop_stage} -ge 1 ]; then
        stage_begin 1 "Data preparation for data/${train_set}, data/${valid_set}, etc."
        # [Task dependent] Need to create data.sh for new corpus
        local/data.sh ${local_data_opts}
        for dset in "${train_set}" "${valid_set}" ${test_sets}; do
            ${python} -m espnet_mtasr.bin.validate_data_dir --sample_rate "${_fs}" "data/${dset}"
        done
        stage_end 1
    fi

    if [ ${stage} -le 2 ] && [ ${stop_stage} -ge 2 ]; then
        if [ -n "${speed_perturb_factors}" ]; then
            stage_begin 2 "Speed perturbation: data/${train_set} -> data/${train_set}_sp"
            ${python} -m espnet_mtasr.bin.speed_perturb \
                --in_dir "data/${train_set}" --out_dir "data/${train_set}_sp" \
                --factors ${speed_perturb_factors}
            stage_end 2
        else
            log "Stage 2: Skip speed perturbation (--speed_perturb_factors is empty)"
        fi
    fi

    if [ -n "${speed_perturb_factors}" ]; then
        train_set="${train_set}_sp"
    fi

    if [ ${stage} -le 3 ] && [ ${stop_stage} -ge 3 ]; then
        stage_begin 3 "Format wav.scp: data/ -> ${data_feats}"
        for dset in "${train_set}" "${valid_set}" ${test_sets}; do
            ${python} -m espnet_mtasr.bin.format_wav_scp \
                --in_dir "data/${dset}" --out_dir "${data_feats}/${dset}" \
                --nj "${nj}" --audio_format "${audio_format}" --fs "${_fs}"
        done
        stage_end 3
    fi

    if [ ${stage} -le 4 ] && [ ${stop_stage} -ge 4 ]; then
        stage_begin 4 "Remove long/short data: ${data_feats}/${train_set} -> ${data_feats}/${train_set}_filtered"
        for dset in "${train_set}" "${valid_set}"; do
            ${python} -m espnet_mtasr.bin.filter_data_dir \
                --in_dir "${data_feats}/${dset}" --out_dir "${data_feats}/${dset}_filtered" \
                --min_dur "${min_wav_duration}" --max_dur "${max_wav_duration}"
        done
        stage_end 4
    fi
fi
# Training uses the filtered sets (stage 4); test sets are never filtered.
_train="${data_feats}/${train_set}_filtered"
_valid="${data_feats}/${valid_set}_filtered"

if [ "${token_type}" = hugging_face ] && [ ${stage} -le 5 ] && [ ${stop_stage} -ge 5 ]; then
    log "Stage 5: Skip (token_type hugging_face: stage 6 exports the LLM tokenizer's token list to ${token_list})"
elif ! "${skip_data_prep}" && [ ${stage} -le 5 ] && [ ${stop_stage} -ge 5 ]; then
    stage_begin 5 "Token list: ${token_type} from ${bpe_train_text}"
    _opts=""
    if [ "${token_type}" = bpe ]; then
        _opts+="--nbpe ${nbpe} --bpemode ${bpemode} --input_sentence_size ${bpe_input_sentence_size} "
        _opts+="--character_coverage ${bpe_char_cover} "
    fi
    # shellcheck disable=SC2086
    ${python} -m espnet_mtasr.bin.make_token_list \
        --text "${data_feats}/${train_set}/${text_name}" --token_type "${token_type}" \
        --symbols "${sc_token}" ${extra_symbols} --out_dir "${token_listdir}" ${_opts}
    stage_end 5
fi

if ! "${skip_train}" && [ ${stage} -le 6 ] && [ ${stop_stage} -ge 6 ]; then
    if [ "${llm_prep}" = none ]; then
        log "Stage 6: Skip LLM preparation (--llm_prep none: ${asr_config} has no LLM decoder)"
    else
        stage_begin 6 "LLM preparation (${llm_prep})"
        # shellcheck disable=SC2086
        ${python} -m espnet_mtasr.bin.prepare_llm --mode "${llm_prep}" \
            --text "${_train}/${text_name}" --out_dir "${expdir}/llm" \
            ${llm_path:+--llm_path "${llm_path}"} ${llm_prep_opts}
        stage_end 6
    fi
fi

# Stages 10-11 build the model: an LLM decoder reads the LLM and tokenizer of stage 6.
if [ "${llm_prep}" != none ] && [ -f "${llm_dir}/llm_path" ]; then
    llm_model=$(cat "${llm_dir}/llm_path")
fi
# The LLM's paths go to whichever part of a training config takes them (part_options: the
# parts whose constructor has llm_path / tokenizer_path); a model that only shares the
# LLM's tokenizer (e.g. an SOT-AED pre-training) gets none.
llm_opts_for() {
    if [ "${llm_prep}" != none ]; then
        ${python} -m espnet_mtasr.bin.part_options --config "$1" \
            llm_path="${llm_model}" tokenizer_path="${llm_tokenizer}"
    fi
}

if ! "${skip_train}" && [ ${stage} -le 10 ] && [ ${stop_stage} -ge 10 ]; then
    stage_begin 10 "ASR collect stats: train_set=${_train}, valid_set=${_valid}"
    _logdir="${asr_stats_dir}/logdir"
    mkdir -p "${_logdir}"
    _nj=$(min "${nj}" "$(wc -l < "${_train}/wav.scp")" "$(wc -l < "${_valid}/wav.scp")")
    ${python} -m espnet_mtasr.bin.split_scp "${_train}/wav.scp" "${_logdir}/train" "${_nj}"
    ${python} -m espnet_mtasr.bin.split_scp "${_valid}/wav.scp" "${_logdir}/valid" "${_nj}"
    _opts=
    if [ "${feats_normalize}" = global_mvn ]; then
        # The statistics of global_mvn are what this stage computes.
        _opts+="--normalize none "
    fi
    _llm_opts=$(llm_opts_for "${asr_config}") || { log "Error: cannot read ${asr_config}"; exit 1; }
    # shellcheck disable=SC2046,SC2086
    ${train_cmd} JOB=1:"${_nj}" "${_logdir}"/stats.JOB.log \
        ${python} -m espnet_mtasr.bin.mtasr_train \
            --collect_stats true \
            --use_preprocessor true \
            --bpemodel "${bpemodel}" \
            --token_type "${token_type}" \
            --token_list "${token_list}" \
            --non_linguistic_symbols "${nlsyms_txt}" \
            --train_data_path_and_name_and_type "${_train}/wav.scp,speech,sound" \
            --train_data_path_and_name_and_type "${_train}/${text_name},text,text" \
            --valid_data_path_and_name_and_type "${_valid}/wav.scp,speech,sound" \
            --valid_data_path_and_name_and_type "${_valid}/${text_name},text,text" \
            --train_shape_file "${_logdir}/train/split.JOB" \
            --valid_shape_file "${_logdir}/valid/split.JOB" \
            --output_dir "${_logdir}/stats.JOB" \
            --config "${asr_config}" \
            --frontend_conf fs="${fs}" \
            ${_llm_opts} ${_opts} ${asr_args} || { log "collect stats failed: see ${_logdir}/stats.*.log"; exit 1; }
    _opts=
    for i in $(seq "${_nj}"); do
        _opts+="--input_dir ${_logdir}/stats.${i} "
    done
    # shellcheck disable=SC2086
    ${python} -m espnet2.bin.aggregate_stats_dirs ${_opts} --output_dir "${asr_stats_dir}"
    # Append the num-tokens at the last dimensions. This is used for batch-bins count
    _ntok=$(wc -l < "${token_list}")
    for split in train valid; do
        awk -v N="${_ntok}" '{ print $0 "," N }' \
            < "${asr_stats_dir}/${split}/text_shape" > "${asr_stats_dir}/${split}/text_shape.${token_type}"
    done
    stage_end 10
fi

# The model that stages 12-14 use: the chosen (or the last) sub-stage of stage 11
asr_model_dir="${asr_exp}${_sub_names[-1]:+/${_sub_names[-1]}}"
asr_model_config="${_sub_configs[-1]}"
for _i in "${!_sub_names[@]}"; do
    if [ -n "${asr_sub_stage}" ] && [ "${_sub_names[${_i}]}" = "${asr_sub_stage}" ]; then
        asr_model_dir="${asr_exp}/${asr_sub_stage}"
        asr_model_config="${_sub_configs[${_i}]}"
    fi
done

if ! "${skip_train}" && [ ${stage} -le 11 ] && [ ${stop_stage} -ge 11 ]; then
    stage_begin 11 "ASR training: ${asr_exp} (log: ${asr_exp}/${asr_sub_stages:+<sub-stage>/}train.log)"
    mkdir -p "${asr_exp}"
    _norm_opts=
    if [ "${feats_normalize}" = global_mvn ]; then
        _norm_opts+="--normalize=global_mvn --normalize_conf stats_file=${asr_stats_dir}/train/feats_stats.npz "
    fi
    # Echo the command for reproducibility and resumption.
    echo "${run_args} --stage 11 \"\$@\"; exit \$?" > "${asr_exp}/run.sh"
    chmod +x "${asr_exp}/run.sh"
    _prev=
    for _i in "${!_sub_names[@]}"; do
        _name="${_sub_names[${_i}]}"
        _conf="${_sub_configs[${_i}]}"
        _dir="${asr_exp}${_name:+/${_name}}"
        if [ -n "${asr_sub_stage}" ] && [ "${_name}" != "${asr_sub_stage}" ]; then
            _prev="${_dir}"
            continue
        fi
        _opts="${_norm_opts}"
        if [ -n "${_prev}" ]; then
            # Chain: initialise from the previous sub-stage (what it freezes is in its YAML)
            if [ ! -e "${_prev}/${asr_chain_model}" ]; then
                log "Error: sub-stage '${_name}' starts from ${_prev}/${asr_chain_model}, which does not exist: run sub-stage '$(basename "${_prev}")' first (--asr_sub_stage $(basename "${_prev}"))"
                exit 1
            fi
            _opts+="--init_param ${_prev}/${asr_chain_model} "
        elif [ -n "${pretrained_model}" ]; then
            for _p in ${pretrained_model}; do
                if [ ! -e "${_p%%:*}" ]; then
                    log "Error: --pretrained_model ${_p%%:*} does not exist (train that model first)"
                    exit 1
                fi
            done
            _opts+="--init_param ${pretrained_model} "
        fi
        log "Stage 11${_name:+ (sub-stage ${_name})}: ${_conf} -> ${_dir}"
        _llm_opts=$(llm_opts_for "${_conf}") || { log "Error: cannot read ${_conf}"; exit 1; }
        mkdir -p "${_dir}"
        # Show ESPnet's per-epoch summaries while training runs (the full log is train.log).
        touch "${_dir}/train.log"
        (tail -n 0 -F "${_dir}/train.log" 2>/dev/null \
            | grep --line-buffered -E "epoch results:|The training was finished|Traceback|Error:" \
            | grep --line-buffered -v nltk_data) &
        _tail_pid=$!
        stop_tail() { pkill -P "${_tail_pid}" 2>/dev/null || true; kill "${_tail_pid}" 2>/dev/null || true; }
        # shellcheck disable=SC2046,SC2086
        ${python} -m espnet2.bin.launch \
            --cmd "${cuda_cmd} --name $(basename "${asr_exp}")${_name:+_${_name}}" \
            --log "${_dir}"/train.log \
            --ngpu "${ngpu}" \
            --num_nodes "${num_nodes}" \
            --init_file_prefix "${_dir}"/.dist_init_ \
            --multiprocessing_distributed true -- \
            ${python} -m espnet_mtasr.bin.mtasr_train \
                --use_preprocessor true \
                --bpemodel "${bpemodel}" \
                --token_type "${token_type}" \
                --token_list "${token_list}" \
                --non_linguistic_symbols "${nlsyms_txt}" \
                --train_data_path_and_name_and_type "${_train}/wav.scp,speech,sound" \
                --train_data_path_and_name_and_type "${_train}/${text_name},text,text" \
                --valid_data_path_and_name_and_type "${_valid}/wav.scp,speech,sound" \
                --valid_data_path_and_name_and_type "${_valid}/${text_name},text,text" \
                --train_shape_file "${asr_stats_dir}/train/speech_shape" \
                --train_shape_file "${asr_stats_dir}/train/text_shape.${token_type}" \
                --valid_shape_file "${asr_stats_dir}/valid/speech_shape" \
                --valid_shape_file "${asr_stats_dir}/valid/text_shape.${token_type}" \
                --resume true \
                --fold_length 80000 \
                --fold_length 150 \
                --output_dir "${_dir}" \
                --config "${_conf}" \
                --frontend_conf fs="${fs}" \
                ${_llm_opts} ${_opts} ${asr_args} || { stop_tail; log "training failed: see ${_dir}/train.log"; exit 1; }
        stop_tail
        _prev="${_dir}"
    done
    stage_end 11
fi

if ! "${skip_eval}" && [ ${stage} -le 12 ] && [ ${stop_stage} -ge 12 ]; then
    stage_begin 12 "Decoding: ${asr_model_dir}/decode_${inference_tag}"
    if "${gpu_inference}"; then
        _cmd="${cuda_cmd}"
        _ngpu=1
    else
        _cmd="${decode_cmd}"
        _ngpu=0
    fi
    _opts=
    if [ -n "${inference_config}" ]; then
        _opts+="--config ${inference_config} "
    fi
    for dset in ${test_sets}; do
        _data="${data_feats}/${dset}"
        _dir="${asr_model_dir}/decode_${inference_tag}/${dset}"
        _logdir="${_dir}/logdir"
        mkdir -p "${_logdir}"
        _nj=$(min "${inference_nj}" "$(wc -l < "${_data}/wav.scp")")
        ${python} -m espnet_mtasr.bin.split_scp "${_data}/wav.scp" "${_logdir}/keys" "${_nj}"
        log "Decoding started... log: '${_logdir}/asr_inference.*.log'"
        rm -rf "${_logdir}"/*.log "${_logdir}"/output.*
        # shellcheck disable=SC2046,SC2086
        ${_cmd} --gpu "${_ngpu}" JOB=1:"${_nj}" "${_logdir}"/asr_inference.JOB.log \
            OMP_NUM_THREADS=1 ${python} -m espnet_mtasr.bin.mtasr_inference \
                --batch_size "${inference_batch_size}" \
                --ngpu "${_ngpu}" \
                --data_path_and_name_and_type "${_data}/wav.scp,speech,sound" \
                --key_file "${_logdir}"/keys/split.JOB \
                --asr_train_config "${asr_model_dir}"/config.yaml \
                --asr_model_file "${asr_model_dir}"/"${inference_asr_model}" \
                --output_dir "${_logdir}"/output.JOB \
                ${_opts} ${inference_args} || { log "decoding failed: see ${_logdir}/asr_inference.*.log"; exit 1; }
        # Concatenate the per-job outputs: every file a job wrote (text, token, token_int,
        # score and the outputs the model family declares in outputs.json)
        _names=$(for i in $(seq "${_nj}"); do ls "${_logdir}/output.${i}/1best_recog"; done | LC_ALL=C sort -u)
        for f in ${_names}; do
            _files=()
            for i in $(seq "${_nj}"); do
                [ -f "${_logdir}/output.${i}/1best_recog/${f}" ] && _files+=("${_logdir}/output.${i}/1best_recog/${f}")
            done
            cat "${_files[@]}" | LC_ALL=C sort -k1 > "${_dir}/${f}"
        done
        cp "${_logdir}/output.1/outputs.json" "${_dir}/outputs.json"
        # Per-utterance decoding time, for the real-time factor in stage 13
        if [ -f "${_logdir}/output.1/rtf" ]; then
            for i in $(seq "${_nj}"); do
                cat "${_logdir}/output.${i}/rtf"
            done | LC_ALL=C sort -k1 > "${_dir}/rtf"
        fi
    done
    stage_end 12
fi

if ! "${skip_eval}" && [ ${stage} -le 13 ] && [ ${stop_stage} -ge 13 ]; then
    stage_begin 13 "Scoring (${score_mode}): SOT error rate and cp error rate (meeteval) per talker count"
    # Everything goes under ${expdir}: result.json (what RESULTS.md is generated from),
    # result.txt, talkers.png, per-utterance errors. The recipe's tracked RESULTS.md is
    # not touched: utils/show_asr_result.sh ${expdir} > RESULTS.md regenerates it.
    for dset in ${test_sets}; do
        _dir="${asr_model_dir}/decode_${inference_tag}/${dset}"
        # score_wer / score_cer like ESPnet's asr.sh (${_dir}/score is the merged beam
        # score file): text, and every output the decoding declares (outputs.json)
        _opts=
        if [ -n "${inference_config}" ]; then
            _opts+="--inference_config ${inference_config} "
        fi
        # shellcheck disable=SC2086
        ${python} -m espnet_mtasr.bin.score \
            --decode_dir "${_dir}" \
            --ref_dir "${data_feats}/${dset}" \
            --text_name "${text_name}" \
            --mode "${score_mode}" \
            --text_format "${text_format}" \
            --config "${asr_model_config}" \
            --rtf_note "$("${gpu_inference}" && echo GPU || echo CPU), ${inference_nj} jobs x 1 thread, batch ${inference_batch_size}" \
            --cmd "${run_args}" ${_opts}
    done
    # The experiment's own RESULTS.md (packed with the model in stage 14), like ESPnet's
    # asr.sh: scripts/utils/show_asr_result.sh "${asr_exp}" > "${asr_exp}"/RESULTS.md
    ${python} -m espnet_mtasr.bin.show_results --output "${asr_model_dir}/RESULTS.md" "${asr_model_dir}"
    stage_end 13
fi

_pack_name="${asr_exp##*/}"
if [ "${asr_model_dir}" != "${asr_exp}" ]; then
    _pack_name+="_${asr_model_dir##*/}"
fi
packed_model="${asr_model_dir}/${_pack_name}_${inference_asr_model%.*}.zip"
hf_model_dir="${packed_model%.zip}_hf"  # Hugging Face-style folder: unzipped + model card
if ! "${skip_packing}" && [ ${stage} -le 14 ] && [ ${stop_stage} -ge 14 ]; then
    stage_begin 14 "Pack model: ${packed_model} (and the folder ${hf_model_dir})"
    _opts=
    if [ "${feats_normalize}" = global_mvn ]; then
        _opts+="--option ${asr_stats_dir}/train/feats_stats.npz "
    fi
    if [ "${token_type}" = bpe ]; then
        _opts+="--option ${bpemodel} "
    fi
    for f in RESULTS.md images; do
        if [ -e "${asr_model_dir}/${f}" ]; then
            _opts+="--option ${asr_model_dir}/${f} "
        fi
    done
    # shellcheck disable=SC2086
    ${python} -m espnet_mtasr.bin.mtasr_pack \
        --asr_train_config "${asr_model_dir}"/config.yaml \
        --asr_model_file "${asr_model_dir}"/"${inference_asr_model}" \
        ${_opts} \
        --outpath "${packed_model}" \
        --hf_dir "${hf_model_dir}"
    stage_end 14
fi

if ! "${skip_eval}" && [ ${stage} -le 13 ] && [ ${stop_stage} -ge 13 ]; then
    # What this run scored (stage 13), and where its plots are
    _decode_dir="${asr_model_dir}/decode_${inference_tag}"
    log "Results of ${_decode_dir}:"
    ${python} -m espnet_mtasr.bin.show_results --summary "${_decode_dir}"
    if [ -d "${asr_model_dir}/images" ]; then
        log "Training curves (ESPnet): ${asr_model_dir}/images/*.png"
    fi
    log "RESULTS.md of the recipe (generated from ${expdir}/**/result.json): utils/show_asr_result.sh ${expdir} > RESULTS.md"
fi

log "Successfully finished. [elapsed=${SECONDS}s]"
