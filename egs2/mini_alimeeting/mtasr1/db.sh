# shellcheck shell=bash
# Corpus root of the mini recipe: stage 1 synthesises the AliMeeting-layout corpus here
# (local/data.sh) and reads it back with the real AliMeeting prep.
ALIMEETING=${ALIMEETING:-corpus/AliMeeting}
