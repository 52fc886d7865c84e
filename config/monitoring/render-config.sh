#!/bin/sh
# Renders a monitoring configuration at container start, then runs the program: Prometheus and Alertmanager cannot
# read environment variables in their own configuration files. Usage:
#   render-config.sh TEMPLATE OUTPUT -- PROGRAM [ARGS...]
# Every ${NAME} in TEMPLATE becomes the value of the environment variable NAME and must not be empty (the container
# stops, naming the variable); ${NAME:-} may be empty. Values go inside single-quoted YAML strings, so a quote in a
# value is doubled. Secrets are not rendered: the configurations read them from files (*_file, credentials_file).
set -eu
template=$1
output=$2
shift 2
[ "${1:-}" = "--" ] && shift
umask 077
awk '
  {
    line = $0
    out = ""
    while (match(line, /\$\{[A-Za-z_][A-Za-z0-9_]*(:-)?\}/)) {
      name = substr(line, RSTART + 2, RLENGTH - 3)
      optional = 0
      if (name ~ /:-$/) { name = substr(name, 1, length(name) - 2); optional = 1 }
      value = ENVIRON[name]
      if (value == "" && !optional) {
        printf "%s: set %s (docs/monitoring.md)\n", prog, name > "/dev/stderr"
        failed = 1
        exit 1
      }
      gsub(/\047/, "\047\047", value)
      out = out substr(line, 1, RSTART - 1) value
      line = substr(line, RSTART + RLENGTH)
    }
    print out line
  }
' prog="$(basename "$template" .yml)" "$template" > "$output"
exec "$@"
