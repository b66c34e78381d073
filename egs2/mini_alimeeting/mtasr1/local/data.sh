#!/usr/bin/env bash
# Stage 1 of the mini AliMeeting recipe:
#   1. synthesise Chinese meetings (espeak-ng yue: see --voice; 2-4 speakers, overlapping turns) as an
#      AliMeeting far-field tree under ${ALIMEETING} (db.sh), unless it is already there
#      with the same options;
#   2. read it back with the real AliMeeting prep (lhotse + windows, as egs2/alimeeting).
# All logic is in python -m espnet_mtasr.bin.synth_meeting / prep_meeting.
set -euo pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*"
}
help_message="Usage: $0 [options]
  --sessions train:60,eval:6,test:6     sessions per split (comma-separated)
  --speakers train:8,eval:4,test:4      espeak-ng voices per split (disjoint)
  --voice yue                           espeak-ng voice (yue or cmn; Debian's cmn reads most
                                        characters as English-spelled pinyin: synth_meeting stops)
  --turns 8                             turns per session
  --overlap 0.4                         probability that a turn overlaps the previous one
  --train_window 12 --train_min_window 2 --score_window 30   windows (s)
  --nj 2                                parallel espeak-ng processes"

sessions=train:60,eval:6,test:6
speakers=train:8,eval:4,test:4
voice=yue
turns=8
overlap=0.4
train_window=12
train_min_window=2
score_window=30
nj=2

. utils/parse_options.sh
. ./path.sh
. ./db.sh

# Synthesised once; reused while the options match (${ALIMEETING}/synth_meeting.json),
# stops with a message when they do not.
log "Synthetic meetings (espeak-ng ${voice}; ${sessions}, voices ${speakers}, ${turns} turns) -> ${ALIMEETING}"
# shellcheck disable=SC2086
python -m espnet_mtasr.bin.synth_meeting --out_dir "${ALIMEETING}" --sessions ${sessions//,/ } \
    --speakers ${speakers//,/ } --voice "${voice}" --turns "${turns}" --overlap "${overlap}" --nj "${nj}"
python -m espnet_mtasr.bin.prep_meeting --corpus alimeeting --corpus_dir "${ALIMEETING}" \
    --out_dir data --train_window "${train_window}" --train_min_window "${train_min_window}" \
    --score_window "${score_window}"
log "data.sh: done"
