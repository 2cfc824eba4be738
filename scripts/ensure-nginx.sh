#!/usr/bin/env bash
# Makes sure `nginx` is on PATH, installing it from Debian's packages when missing: nginx-light (proxy and upstream
# modules are enough) where the distribution still has it, plain nginx otherwise. Shared by bench/run.sh and the
# load-balancer tests. Extra arguments name more Debian packages to install in the same apt run (bench: wrk …).
set -euo pipefail

packages=("$@")
need_nginx=0
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_nginx=1
[ ${#packages[@]} -eq 0 ] && [ "$need_nginx" -eq 0 ] && exit 0

sudo=''
[ "$(id -u)" -eq 0 ] || sudo='sudo'
# apt-cache knows nothing reliable before an update on a fresh machine.
$sudo apt-get update -qq
if [ "$need_nginx" -eq 1 ]; then
  if apt-cache policy nginx-light 2>/dev/null | grep -q 'Candidate: [0-9]'; then packages+=(nginx-light); else packages+=(nginx); fi
fi
echo "ensure-nginx: installing ${packages[*]}" >&2
# The package may start a system nginx on port 80; Portico's tools run their own on private ports and leave it alone.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
