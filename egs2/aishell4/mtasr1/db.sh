# Corpus root, read in stage 1 (local/data.sh).
AISHELL4=${AISHELL4:-downloads/AISHELL-4}

# Local pretrained models of --system sa_llm (nothing is downloaded):
# Qwen2.5-0.5B (Hugging Face save_pretrained folder: config.json + weights + tokenizer);
# mtasr.sh stage 6 (--llm_prep link) copies its tokenizer with <sc>, <spk1>..<spk8> added.
QWEN_05B=${QWEN_05B:-downloads/models/Qwen2.5-0.5B}
# An ESPnet-SPK checkpoint (*.pth of espnet2.bin.spk_train) with an ECAPA-TDNN encoder;
# run.sh links it to local/models/espnet_spk.pth, the path conf/train_sa_llm_qwen.yaml names.
ESPNET_SPK=${ESPNET_SPK:-downloads/models/espnet_spk_ecapa/valid.eer.best.pth}
