# shellcheck shell=bash
# parse_options.sh: Kaldi-style option parsing for recipe scripts. SOURCE it, don't run it.
#
#   stage=1                       # every option is a shell variable with a default
#   use_gpu=false                 # true/false defaults only accept true/false
#   asr_args=""
#   help_message="Usage: $0 [options] <data-dir>"
#   . utils/parse_options.sh      # positional arguments are left in "$@"
#
# For each leading argument
#   --foo-bar VALUE | --foo_bar VALUE | --foo-bar=VALUE
# the variable foo_bar (dashes become underscores) is set to VALUE, verbatim (spaces,
# quotes and $ are kept; nothing is evaluated). The variable must already be set, else
# "parse_options.sh: invalid option --foo-bar" goes to stderr and the script exits 1.
# If its current value is true or false, VALUE must be true or false too.
#   --config FILE    sources FILE (lines `name=value`) BEFORE the other options, so
#                    command-line options win over the file, whatever their order
#                    (several --config are sourced left to right)
#   --help | -h      prints $help_message to stdout and exits 0
#   --               ends the options; parsing also stops at the first argument that
#                    does not start with --
#   parse_options_passthrough=true (set before sourcing): an option the script does not
#                    define is not an error but left, with its value and in order, in "$@"
#                    before the positional arguments (a run.sh that takes --size/--system
#                    and hands every other option to mtasr.sh)
# Error messages name the option only, never its value.
# Works under `set -euo pipefail`; its own helper variables (_po_*) are unset afterwards.

_po_args=("$@")
_po_n=${#_po_args[@]}

# Pass 1: source every --config file (lower priority than the command line).
_po_i=0
while [ "${_po_i}" -lt "${_po_n}" ]; do
    _po_arg=${_po_args[${_po_i}]}
    case "${_po_arg}" in
        --)
            break
            ;;
        --help | -h)
            _po_i=$((_po_i + 1))
            ;;
        --config | --config=*)
            if [ "${_po_arg}" = "--config" ]; then
                if [ $((_po_i + 1)) -ge "${_po_n}" ]; then
                    echo "parse_options.sh: option --config needs a value" >&2
                    exit 1
                fi
                _po_file=${_po_args[$((_po_i + 1))]}
                _po_i=$((_po_i + 2))
            else
                _po_file=${_po_arg#--config=}
                _po_i=$((_po_i + 1))
            fi
            if [ ! -f "${_po_file}" ] || [ ! -r "${_po_file}" ]; then
                echo "parse_options.sh: cannot read config file '${_po_file}'" >&2
                exit 1
            fi
            # shellcheck disable=SC1090
            . "${_po_file}"
            ;;
        --*=*)
            _po_i=$((_po_i + 1))
            ;;
        --*)
            _po_i=$((_po_i + 2))
            ;;
        *)
            break
            ;;
    esac
done

# Pass 2: the other options, left to right.
_po_i=0
_po_pass=()
while [ "${_po_i}" -lt "${_po_n}" ]; do
    _po_arg=${_po_args[${_po_i}]}
    case "${_po_arg}" in
        --)
            _po_i=$((_po_i + 1))
            break
            ;;
        --help | -h)
            if [ -n "${help_message:-}" ]; then
                printf '%s\n' "${help_message}"
            else
                echo "No help found."
            fi
            exit 0
            ;;
        --*=*)
            _po_opt=${_po_arg%%=*}
            _po_val=${_po_arg#*=}
            _po_given=("${_po_arg}")
            _po_i=$((_po_i + 1))
            ;;
        --*)
            _po_opt=${_po_arg}
            if [ $((_po_i + 1)) -ge "${_po_n}" ]; then
                echo "parse_options.sh: option ${_po_opt} needs a value" >&2
                exit 1
            fi
            _po_val=${_po_args[$((_po_i + 1))]}
            _po_given=("${_po_opt}" "${_po_val}")
            _po_i=$((_po_i + 2))
            ;;
        *)
            break
            ;;
    esac
    _po_name=${_po_opt#--}
    _po_name=${_po_name//-/_}
    if [ "${_po_name}" = "config" ]; then
        # already sourced in pass 1; also set $config if the script has one
        if [[ -v config ]]; then
            config=${_po_val}
        fi
        continue
    fi
    if ! [[ "${_po_name}" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || ! [[ -v "${_po_name}" ]] \
        || [[ "${_po_name}" == _po_* ]] || [ "${_po_name}" = parse_options_passthrough ]; then
        if [ "${parse_options_passthrough:-false}" = true ]; then
            _po_pass+=("${_po_given[@]}")
            continue
        fi
        echo "parse_options.sh: invalid option ${_po_opt} (see '${0##*/} --help')" >&2
        exit 1
    fi
    _po_old=${!_po_name}
    if [ "${_po_old}" = true ] || [ "${_po_old}" = false ]; then
        if [ "${_po_val}" != true ] && [ "${_po_val}" != false ]; then
            echo "parse_options.sh: option ${_po_opt} expects true or false" >&2
            exit 1
        fi
    fi
    if [ "${_po_name}" = cmd ] && [ -z "${_po_val}" ]; then
        # an empty --cmd is almost always a scripting error (as in Kaldi)
        echo "parse_options.sh: empty value of --cmd" >&2
        exit 1
    fi
    printf -v "${_po_name}" '%s' "${_po_val}"
done

# Leave the passed-through options, then the positional arguments, in "$@".
set -- ${_po_pass[@]+"${_po_pass[@]}"} "${_po_args[@]:${_po_i}}"
unset _po_args _po_n _po_i _po_arg _po_file _po_opt _po_val _po_name _po_old _po_pass _po_given
true
