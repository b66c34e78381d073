#!/usr/bin/env bash
# Print the absolute path of a working Python interpreter.
#
#   tools/find_python.sh python3.12      # a name on PATH, or found under pyenv
#   tools/find_python.sh /opt/py/bin/python3.12
#
# A bare name that does not run as it is (not on PATH, or a pyenv shim of a version that is not
# the active one) is looked up under pyenv: $(pyenv root)/versions/X.Y*/bin/pythonX.Y,
# newest patch release first. Exit 1 with a message on stderr when none runs.
set -uo pipefail

want=${1:?usage: tools/find_python.sh python3.X}
exe_of() { "$1" -c 'import sys; print(sys.executable)' 2>/dev/null; }

if p=$(command -v "$want" 2>/dev/null) && exe=$(exe_of "$p") && [ -n "$exe" ]; then
  echo "$exe"
  exit 0
fi

ver=${want#python}
if [[ $want != */* && $ver =~ ^3\.[0-9]+$ ]] && root=$(pyenv root 2>/dev/null); then
  while read -r p; do
    if [ -n "$p" ] && exe=$(exe_of "$p") && [ -n "$exe" ]; then
      echo "$exe"
      exit 0
    fi
  done < <(ls -d "$root"/versions/"$ver"*/bin/python"$ver" 2>/dev/null | sort -V -r)
  echo "ERROR: $want is not on PATH and pyenv has no $root/versions/$ver*/bin/python$ver" \
    "(install it: pyenv install $ver; or pass PYTHON=/path/to/python$ver)" >&2
  exit 1
fi
echo "ERROR: $want not found (pass PYTHON=/path/to/python3.X)" >&2
exit 1
