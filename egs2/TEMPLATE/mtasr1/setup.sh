#!/usr/bin/env bash
# Create a new recipe directory that links to this template, like ESPnet's
# egs2/TEMPLATE/asr1/setup.sh:   egs2/TEMPLATE/mtasr1/setup.sh egs2/<corpus>/mtasr1
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "Usage: $0 <target-dir>   (e.g. $0 egs2/my_corpus/mtasr1)" >&2
    exit 1
fi
target=$1
if [ -e "${target}" ]; then
    echo "$0: ${target} already exists; not touching it" >&2
    exit 1
fi
template=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${target}"/{conf,local}
target=$(cd "${target}" && pwd)
rel=$(python3 -c "import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))" "${template}" "${target}")
for f in mtasr.sh path.sh db.sh utils; do  # shared (db.sh: add your corpus root there)
    ln -s "${rel}/${f}" "${target}/${f}"
done
cp "${template}/cmd.sh" "${target}/cmd.sh"  # a copy: a new recipe often runs elsewhere
# The recipe's own configs, starting from the template's (conf/tuning/ + links, as ESPnet)
cp -R "${template}/conf/." "${target}/conf/"
cat > "${target}/run.sh" <<'RUN'
#!/usr/bin/env bash
# Set bash to 'debug' mode, it will exit on :
# -e 'error', -u 'undefined variable', -o ... 'error in pipeline', -x 'print commands',
set -e
set -u
set -o pipefail

train_set=train
valid_set=dev
test_sets="test"

asr_config=conf/train_sot_conformer.yaml
inference_config=conf/decode_sot.yaml

./mtasr.sh \
    --train_set "${train_set}" \
    --valid_set "${valid_set}" \
    --test_sets "${test_sets}" \
    --asr_config "${asr_config}" \
    --inference_config "${inference_config}" \
    "$@"
RUN
chmod +x "${target}/run.sh"
cat > "${target}/local/data.sh" <<'DATA'
#!/usr/bin/env bash
# Stage 1 of the recipe: write data/<set>/ Kaldi dirs. Replace with your corpus prep
# (a call to a Python prep main; keep the logic in Python).
set -euo pipefail
echo "$0: write your corpus preparation here" >&2
exit 1
DATA
chmod +x "${target}/local/data.sh"
echo "Created ${target}: edit run.sh, conf/ and local/data.sh"
