# shellcheck shell=bash
# put MODE PATH: writes stdin to PATH atomically (a temporary file beside it, then rename).
put() {
  local mode=$1 path=$2 tmp
  tmp=$(sudo mktemp "${path}.XXXXXX")
  sudo chmod "$mode" "$tmp"
  sudo tee "$tmp" >/dev/null
  sudo mv -f "$tmp" "$path"
}
