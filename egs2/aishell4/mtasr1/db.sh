# Corpus roots. Point these at your copies; recipes read them in stage 1.
# LibriMix (JorisCos/LibriMix) output root holding Libri2Mix/ and Libri3Mix/
LIBRIMIX=${LIBRIMIX:-downloads/LibriMix}
# LibriSpeech root holding LibriSpeech/<subset>/... and SPEAKERS.TXT (for transcripts)
LIBRISPEECH=${LIBRISPEECH:-downloads}
# AliMeeting (OpenSLR 119) and AISHELL-4 (OpenSLR 111) roots
ALIMEETING=${ALIMEETING:-downloads/AliMeeting}
AISHELL4=${AISHELL4:-downloads/AISHELL-4}
