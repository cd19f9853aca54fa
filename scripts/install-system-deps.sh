#!/bin/sh
# Install the system tools digest uses, when they are missing and this machine allows it
# (Debian/Ubuntu as root). Otherwise print the command to run and carry on: the EPUB
# still builds without calibre, and the build report says which formats were skipped.
#
# usage: scripts/install-system-deps.sh [calibre] [java] [chromium] [node]
set -u

want=""
for tool in "$@"; do
    case "$tool" in
        calibre)  command -v ebook-convert >/dev/null 2>&1 || want="$want calibre" ;;
        java)     command -v java >/dev/null 2>&1 || want="$want default-jre-headless" ;;
        chromium) command -v chromium >/dev/null 2>&1 || want="$want chromium" ;;
        node)     command -v npm >/dev/null 2>&1 || want="$want nodejs npm" ;;
        *) echo "install-system-deps: unknown tool '$tool'" >&2; exit 2 ;;
    esac
done
[ -z "$want" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$want"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $want >/dev/null; }; then
        echo "install-system-deps: apt-get failed for:$want" >&2
        exit 1
    fi
else
    echo "missing:$want" >&2
    echo "install with: sudo apt-get install$want" >&2
fi
exit 0
