#!/usr/bin/env bash
# Stage 1 of the AISHELL-4 recipe: check the corpus tree, read it with lhotse, cut every
# session into windows that end only where nobody speaks, first far-field channel:
#   data/train              windows of --train_min_window .. --train_window s
#   data/<eval set>         windows of at most --score_window s (the sa_llm paper: 50 s)
#   data/<eval set>_session one utterance per session (session-level cpCER)
# The sa_llm paper is "Balancing ASR and diarization in end-to-end LLMs for multi-talker
# speech recognition".
# All logic is in python -m espnet_mtasr.bin.prep_meeting. Corpus root: AISHELL4 in db.sh.
set -euo pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*"
}
help_message="Usage: $0 [options]
  --train_window 20       longest training window (s)
  --train_min_window 8    shortest training window (s); shorter ones are dropped
  --score_window 50       longest scoring window (s)"

train_window=20
train_min_window=8
score_window=50

. utils/parse_options.sh
. ./path.sh
. ./db.sh

if [ ! -d "${AISHELL4}" ]; then
    log "Error: AISHELL4=${AISHELL4} is not a directory: set it in db.sh (the folder holding train_L/, train_M/, train_S/, test/)"
    exit 1
fi
python -m espnet_mtasr.bin.prep_meeting --corpus aishell4 --corpus_dir "${AISHELL4}" --out_dir data \
    --train_window "${train_window}" --train_min_window "${train_min_window}" \
    --score_window "${score_window}"
log "data.sh: done"
