#!/usr/bin/env bash
# Usage: build/linux/install-user.sh BINARY      install for the current user
#        build/linux/install-user.sh --uninstall remove that install
# Installs the binary to ~/.local/bin, its database checker (relink-dbprobe,
# built beside it) to ~/.local/lib/relink, and the desktop entry, icons and
# AppStream metadata under ${XDG_DATA_HOME:-~/.local/share}, then refreshes
# the launcher caches, so Relink appears in the application menu and opens
# from it. No root needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bindir=$HOME/.local/bin
libdir=$HOME/.local/lib/relink
datadir=${XDG_DATA_HOME:-$HOME/.local/share}
sizes=(16 24 32 48 64 128 256 512)

files=("$bindir/relink" "$libdir/relink-dbprobe" "$datadir/applications/relink.desktop" "$datadir/metainfo/com.wails.relink.metainfo.xml")
for n in "${sizes[@]}"; do files+=("$datadir/icons/hicolor/${n}x${n}/apps/relink.png"); done

refresh() {
  if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$datadir/applications" || true
  fi
  # -t: the per-user hicolor directory has no index.theme of its own.
  if command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -f -t "$datadir/icons/hicolor" || true
  fi
}

if [[ ${1:-} == --uninstall ]]; then
  rm -f "${files[@]}"
  rmdir "$libdir" 2>/dev/null || true
  refresh
  echo "Relink removed from $bindir and $datadir."
  exit 0
fi

bin=${1:?usage: $0 BINARY | --uninstall}
helper=$(dirname "$bin")/relink-dbprobe
for f in "$bin" "$helper"; do
  [[ -f $f && -x $f ]] || { echo "install-user: $f is not an executable file (run make build first)" >&2; exit 1; }
done

install -Dm755 "$bin" "$bindir/relink"
install -Dm755 "$helper" "$libdir/relink-dbprobe"
for n in "${sizes[@]}"; do
  install -Dm644 "$here/icons/${n}x${n}/relink.png" "$datadir/icons/hicolor/${n}x${n}/apps/relink.png"
done
install -Dm644 "$here/relink.metainfo.xml" "$datadir/metainfo/com.wails.relink.metainfo.xml"

# The launcher's PATH often lacks ~/.local/bin (Debian adds it only if it
# existed at login), so the entry names the binary by absolute path, quoted
# per the Desktop Entry spec when the path needs it.
exec_path=$bindir/relink
if [[ $exec_path =~ [^A-Za-z0-9/._+-] ]]; then
  exec_path=$(printf '%s' "$exec_path" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g')
  exec_path="\"$exec_path\""
fi
exec_path=${exec_path//%/%%}
mkdir -p "$datadir/applications"
tmp=$(mktemp "$datadir/applications/.relink.desktop.XXXXXX")
# ENVIRON, not -v: awk -v would undo the backslash escaping.
# %u: a relink:// link or an io.relink.app: OAuth callback (MimeType line).
EXEC_LINE="Exec=$exec_path %u" awk '/^Exec=/ { print ENVIRON["EXEC_LINE"]; next } { print }' "$here/relink.desktop" >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$datadir/applications/relink.desktop"
refresh
# relink:// links (team alerts) and io.relink.app: OAuth callbacks open
# Relink unless the user chose another handler for them.
for scheme in relink io.relink.app; do
  if command -v xdg-mime >/dev/null && [[ -z $(xdg-mime query default "x-scheme-handler/$scheme" 2>/dev/null) ]]; then
    xdg-mime default relink.desktop "x-scheme-handler/$scheme" || true
  fi
done

echo "Relink installed: $bindir/relink, with its launcher entry in $datadir/applications."
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "Note: $bindir is not on your PATH; the launcher works, but to run 'relink' from a terminal add it." ;;
esac
