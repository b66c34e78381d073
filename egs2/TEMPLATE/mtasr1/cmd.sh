# shellcheck shell=bash
# Job settings of every recipe (the recipes link to this file; replace a recipe's link with
# a copy to give that recipe settings of its own).
# ====== About run.pl and slurm.pl (Kaldi-style job runners in utils/) ======
# Usage: <cmd>.pl [options] JOB=1:<nj> <log> <command...>
#   e.g. run.pl --mem 4G JOB=1:8 exp/log/foo.JOB.log echo JOB
# Options: --num_threads N, --mem 4G, --gpu N, --name NAME (slurm job name).
#
# cmd_backend=local runs every job on this machine (the default; what the mini recipe
# uses). cmd_backend=slurm submits array jobs with sbatch; per-cluster options go in
# conf/slurm.conf.
cmd_backend=${cmd_backend:-local}

if [ "${cmd_backend}" = local ]; then
    export train_cmd="run.pl"
    # Training with GPUs on this machine
    export cuda_cmd="run.pl"
    export decode_cmd="run.pl"
elif [ "${cmd_backend}" = slurm ]; then
    export train_cmd="slurm.pl --config conf/slurm.conf"
    export cuda_cmd="slurm.pl --config conf/slurm.conf"
    export decode_cmd="slurm.pl --config conf/slurm.conf"
else
    echo "$0: Error: Unknown cmd_backend=${cmd_backend} (local or slurm)" 1>&2
    return 1
fi
