#!/usr/bin/env bash
# Installs what executing the notebooks needs: Debian's jupyter-nbconvert,
# the GoNB kernel (pinned in .ci/notebook-tools/go.mod) and goimports, and
# registers the kernel. Idempotent and quick when everything is already there.
# Prints the versions it ends up with.
# NOTEBOOKS_APT=0 skips apt (an image whose Jupyter comes from elsewhere, as
# docker/Dockerfile's JupyterLab); the jupyter on PATH is then used.
set -euo pipefail
cd "$(dirname "$0")/.."

GONB_VERSION=v0.11.1        # must match github.com/janpfeifer/gonb in ../go.mod (gonbui)
GOIMPORTS_VERSION=v0.52.0   # golang.org/x/tools
export GOFLAGS=-buildvcs=false

# 1. Jupyter (nbconvert + nbclient + jupyter-client) from Debian.
jupyter=/usr/bin/jupyter
if [ "${NOTEBOOKS_APT:-1}" = 0 ]; then
  jupyter=jupyter
elif ! dpkg-query -W -f='${Status}' jupyter-nbconvert 2>/dev/null | grep -q 'install ok installed'; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends jupyter-nbconvert >/dev/null
fi

# 2. GoNB and goimports into $(go env GOPATH)/bin (or GOBIN).
gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
pinned=$(cd .ci/notebook-tools && go list -m -f '{{.Version}}' github.com/janpfeifer/gonb)
if [ "$pinned" != "$GONB_VERSION" ]; then
  echo "install-notebooks: .ci/notebook-tools pins gonb $pinned, this script expects $GONB_VERSION" >&2
  exit 1
fi
root_pin=$(go list -m -f '{{.Version}}' github.com/janpfeifer/gonb 2>/dev/null || true)
if [ -n "$root_pin" ] && [ "$root_pin" != "$GONB_VERSION" ]; then
  echo "install-notebooks: go.mod pins gonb(ui) $root_pin but the kernel is $GONB_VERSION" >&2
  exit 1
fi
if [ "$("$gobin/gonb" -V 2>/dev/null)" != "$GONB_VERSION" ]; then
  (cd .ci/notebook-tools && go install tool)
fi
if ! go version -m "$gobin/goimports" 2>/dev/null | grep -q "golang.org/x/tools[[:space:]]*$GOIMPORTS_VERSION"; then
  go install "golang.org/x/tools/cmd/goimports@$GOIMPORTS_VERSION"
fi

# 3. Register the kernel (writes $JUPYTER_DATA_DIR/kernels/gonb/kernel.json).
#    --raw_error: errors as plain text, which the notebook test parses.
#    --force_deps: gopls (completion, hover help) is not needed to execute.
kernel_dir="${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/gonb"
if ! grep -qs -- '--raw_error' "$kernel_dir/kernel.json" \
   || ! grep -qs -- "\"$gobin/gonb\"" "$kernel_dir/kernel.json"; then
  "$gobin/gonb" --install --raw_error --force_deps 2>/dev/null
fi

echo "jupyter-nbconvert $("$jupyter" nbconvert --version)"
echo "gonb $("$gobin/gonb" -V) ($gobin/gonb)"
echo "goimports $(go version -m "$gobin/goimports" | awk '$1=="mod"{print $3}')"
echo "kernel $kernel_dir/kernel.json"
