# Corpus roots. Point these at your copies; recipes read them in stage 1.
# LibriMix (JorisCos/LibriMix) output root holding Libri2Mix/ and Libri3Mix/
LIBRIMIX=${LIBRIMIX:-downloads/LibriMix}
# LibriSpeech root holding LibriSpeech/<subset>/... and SPEAKERS.TXT (for transcripts)
LIBRISPEECH=${LIBRISPEECH:-downloads}
# AliMeeting (OpenSLR 119) and AISHELL-4 (OpenSLR 111) roots
ALIMEETING=${ALIMEETING:-downloads/AliMeeting}
AISHELL4=${AISHELL4:-downloads/AISHELL-4}

# Local pretrained models of the LLM systems (run.sh --system llm_sot | sop_llm). Nothing is
# downloaded: give folders saved with Hugging Face save_pretrained (config.json + weights).
# WavLM-large (microsoft/wavlm-large): run.sh links it to local/models/wavlm-large, the
# path that the conf/train_*wavlm_llama*.yaml files name (YAML cannot read these variables).
WAVLM_LARGE=${WAVLM_LARGE:-downloads/models/wavlm-large}
# LLaMA-3.2-3B (meta-llama/Llama-3.2-3B, weights + tokenizer): mtasr.sh stage 6
# (--llm_prep link) copies its tokenizer with <sc> added to exp/llm and records its path.
LLAMA_3B=${LLAMA_3B:-downloads/models/Llama-3.2-3B}
