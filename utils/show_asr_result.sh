#!/usr/bin/env bash
# Print a recipe's RESULTS.md from the result.json files that stage 13 writes under its exp
# dirs, like ESPnet's scripts/utils/show_asr_result.sh. From a recipe directory:
#
#   utils/show_asr_result.sh exp > RESULTS.md
#   utils/show_asr_result.sh exp exp_large > RESULTS.md     # several exp dirs
#
# The work is python -m espnet_mtasr.bin.show_results (options: --output, --summary).
set -euo pipefail
if [ $# -lt 1 ]; then
    echo "Usage: $0 <exp_dir> [<exp_dir> ...] > RESULTS.md   (e.g. $0 exp > RESULTS.md)" >&2
    exit 1
fi
if [ -f ./path.sh ]; then
    # shellcheck disable=SC1091
    . ./path.sh  # the recipe's environment (the repository's .venv)
fi
exec python3 -m espnet_mtasr.bin.show_results "$@"
